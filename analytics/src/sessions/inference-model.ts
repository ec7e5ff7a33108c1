import { fittedModel } from './inference-ratios.js';

/**
 * The probability that each member of a collective used its shared device, from the members' personal-device
 * activity around the session's start (docs/analytics.md, "Actor inference"). Bayes' rule with a uniform
 * prior over the members: each member's evidence weighs by its likelihood ratio — how much likelier it is
 * when that member is the user than when someone else is — and the posterior of a member is its ratio over
 * the sum of all members' ratios, then calibrated. A member's ratio is the product of those of its devices
 * heard from near the start, each by its type: the offset of its activity nearest the start, or none. A
 * member none of whose devices sent anything near the start keeps ratio 1, its prior share. So does a device
 * of a type the model was not fitted on: it says nothing.
 */

/** Likelihood ratios of one type of personal device. */
export interface DeviceTypeRatios {
  /** Per offset bin of the device's activity nearest the start (`InferenceModel.edgesMin`). */
  offset: readonly number[];
  /** When the device sent records near the start, none of them activity (or activity outside the bins). */
  silent: number;
}

export interface InferenceModel {
  /** Edges of the offset bins, in minutes from the start, ascending: bin i is [edges[i], edges[i+1]), the last one closed. */
  edgesMin: readonly number[];
  byDeviceType: Readonly<Record<string, DeviceTypeRatios>>;
  /**
   * The power the product of a member's ratios is raised to: below 1, it tempers evidence that the model
   * counts as independent when it is not (the devices of one person, the habits of one household).
   */
  temperature: number;
  /**
   * Platt scaling of each member's posterior p, renormalised over the members: σ(slope·logit(p) + intercept),
   * fitted so that of the inferences given a confidence c, a share c is right.
   */
  calibration: { slope: number; intercept: number };
}

/** What the log shows of a member around a session's start. */
export interface MemberEvidence {
  /** Per type of the member's devices heard from near the start: the offset of its activity nearest the start (time minus start), null when none. */
  devices: ReadonlyMap<string, number | null>;
}

const minute = 60_000;

/** The offset bin of an activity, or null outside the bins (no activity as far as the model goes). */
function binOf(model: InferenceModel, offsetMs: number): number | null {
  const edges = model.edgesMin;
  const m = offsetMs / minute;
  if (m < edges[0]! || m > edges.at(-1)!) return null;
  const i = edges.findIndex((e) => e > m);
  return i === -1 ? edges.length - 2 : i - 1;
}

/** Whether one of the member's devices was active within the model's bins. */
export function activeNear(evidence: MemberEvidence, model: InferenceModel = fittedModel): boolean {
  return [...evidence.devices.values()].some((offsetMs) => offsetMs !== null && binOf(model, offsetMs) !== null);
}

/** The likelihood ratio of one device's evidence; 1 for a type the model has no ratios for. */
export function deviceRatio(deviceType: string, offsetMs: number | null, model: InferenceModel = fittedModel): number {
  const ratios = model.byDeviceType[deviceType];
  if (ratios === undefined) return 1;
  const bin = offsetMs === null ? null : binOf(model, offsetMs);
  return bin === null ? ratios.silent : ratios.offset[bin]!;
}

export function likelihoodRatio(evidence: MemberEvidence, model: InferenceModel = fittedModel): number {
  let product = 1;
  for (const [deviceType, offsetMs] of evidence.devices) product *= deviceRatio(deviceType, offsetMs, model);
  return product ** model.temperature;
}

/**
 * Whether the model can see a member's activity at all: the member owns a personal device of a type it was
 * fitted on. A member it cannot see might be the user every time, and no evidence would show it.
 */
export function observable(deviceTypes: readonly string[], model: InferenceModel = fittedModel): boolean {
  return deviceTypes.some((type) => model.byDeviceType[type] !== undefined);
}

/** Shares proportional to the weights (all 0 when they sum to 0). */
function normalised(weights: readonly (readonly [string, number])[]): Map<string, number> {
  const total = weights.reduce((sum, [, w]) => sum + w, 0);
  return new Map(weights.map(([id, w]) => [id, total === 0 ? 0 : w / total]));
}

/** log(p / (1 − p)), with p kept within 1e-6 of 0 and 1 so that it stays finite: what the calibration scales. */
export function logit(p: number): number {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
}

function calibrated(p: number, { slope, intercept }: InferenceModel['calibration']): number {
  return 1 / (1 + Math.exp(-(slope * logit(p) + intercept)));
}

/** Each member's probability of being the user, given the evidence of all (members with no record: not observed). */
export function memberPosteriors(
  members: readonly string[],
  evidence: ReadonlyMap<string, MemberEvidence>,
  model: InferenceModel = fittedModel,
): Map<string, number> {
  const posteriors = normalised(
    members.map((id) => {
      const e = evidence.get(id);
      return [id, e === undefined ? 1 : likelihoodRatio(e, model)] as const;
    }),
  );
  return normalised([...posteriors].map(([id, p]) => [id, p === 0 ? 0 : calibrated(p, model.calibration)] as const));
}
