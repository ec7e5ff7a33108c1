import type { InferenceModel, MemberEvidence } from '@parcours/analytics';
import { likelihoodRatio, logit, memberPosteriors } from '@parcours/analytics';
import type { Sample } from './samples.js';

/**
 * The model's likelihood ratios by counting: per type of personal device and per offset bin of its activity
 * nearest the start (or none), how often it belongs to the user against how often to another member; then
 * the temperature that makes the posteriors of the users likeliest; then the calibration of those
 * posteriors. All on the sessions the inference is for, whose members are all observable.
 */

/** The offset bins, minutes: fine near the start, where a walk just before or a phone just after tells. */
export const edgesMin = [-30, -20, -10, -5, -3, -2, -1, 0, 1, 2, 3, 5, 10, 20, 30];

/** Additive smoothing of the counts: a bin seen in no run still weighs, little. */
const prior = 1;

function binOf(offsetMs: number | null): number | 'silent' {
  if (offsetMs === null) return 'silent';
  const m = offsetMs / 60_000;
  if (m < edgesMin[0]! || m > edgesMin.at(-1)!) return 'silent';
  const i = edgesMin.findIndex((e) => e > m);
  return i === -1 ? edgesMin.length - 2 : i - 1;
}

interface Counts {
  user: Map<number | 'silent', number>;
  other: Map<number | 'silent', number>;
}

function countByType(samples: readonly Sample[]): Map<string, Counts> {
  const byType = new Map<string, Counts>();
  for (const s of samples) {
    for (const member of s.members) {
      for (const [deviceType, offsetMs] of s.evidence.get(member)?.devices ?? []) {
        const counts = byType.get(deviceType) ?? { user: new Map(), other: new Map() };
        byType.set(deviceType, counts);
        const side = member === s.user ? counts.user : counts.other;
        const bin = binOf(offsetMs);
        side.set(bin, (side.get(bin) ?? 0) + 1);
      }
    }
  }
  return byType;
}

const round = (x: number) => Number(x.toPrecision(3));

/** The log-likelihood of the users under the model: how well its posteriors predict who it was. */
function logLikelihood(samples: readonly Sample[], model: InferenceModel): number {
  let sum = 0;
  for (const s of samples) {
    const ratio = (id: string) => {
      const e: MemberEvidence | undefined = s.evidence.get(id);
      return e === undefined ? 1 : likelihoodRatio(e, model);
    };
    const total = s.members.reduce((acc, id) => acc + ratio(id), 0);
    sum += Math.log(Math.max(1e-12, ratio(s.user) / total));
  }
  return sum;
}

/** The posteriors as they come, before the calibration is fitted. */
const uncalibrated = { slope: 1, intercept: 0 };

/**
 * Platt scaling: the logistic regression of "is the user" on the logit of each member's posterior, by
 * Newton's method (two parameters: a few steps converge).
 */
function fitCalibration(samples: readonly Sample[], model: InferenceModel): InferenceModel['calibration'] {
  const points: { x: number; y: number }[] = [];
  for (const s of samples) {
    for (const [id, p] of memberPosteriors(s.members, s.evidence, model)) points.push({ x: logit(p), y: id === s.user ? 1 : 0 });
  }
  let [a, b] = [1, 0];
  for (let step = 0; step < 50; step++) {
    let [ga, gb, haa, hab, hbb] = [0, 0, 0, 0, 0];
    for (const { x, y } of points) {
      const q = 1 / (1 + Math.exp(-(a * x + b)));
      const w = q * (1 - q);
      ga += (q - y) * x;
      gb += q - y;
      haa += w * x * x;
      hab += w * x;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (det <= 0) break;
    const [da, db] = [(hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det];
    [a, b] = [a - da, b - db];
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
  return { slope: round(a), intercept: round(b) };
}

/**
 * The sessions the inference is for: every member owns a personal device of a type heard from in some
 * sample. (The others never get an inferred actor, so their evidence would only skew the ratios.)
 */
export function ofObservableMembers(samples: readonly Sample[]): Sample[] {
  const heard = new Set(samples.flatMap((s) => [...s.evidence.values()].flatMap((e) => [...e.devices.keys()])));
  return samples.filter((s) => s.members.every((id) => (s.deviceTypes[id] ?? []).some((type) => heard.has(type))));
}

/** The model fitted on samples whose members are all observable (`ofObservableMembers`). */
export function fitModel(samples: readonly Sample[]): InferenceModel {
  const bins: (number | 'silent')[] = [...edgesMin.slice(1).keys(), 'silent'];
  const byDeviceType = Object.fromEntries(
    [...countByType(samples)]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([deviceType, { user, other }]) => {
        const total = (side: Map<number | 'silent', number>) => [...side.values()].reduce((a, b) => a + b, 0) + prior * bins.length;
        const [users, others] = [total(user), total(other)];
        const ratio = (bin: number | 'silent') => round(((user.get(bin) ?? 0) + prior) / users / (((other.get(bin) ?? 0) + prior) / others));
        return [deviceType, { offset: bins.filter((b) => b !== 'silent').map(ratio), silent: ratio('silent') }];
      }),
  );
  const candidates = Array.from({ length: 20 }, (_, i) => (i + 1) / 20);
  const fitted = candidates.map((temperature) => ({ edgesMin, byDeviceType, temperature, calibration: uncalibrated }));
  const model = fitted.reduce((best, m) => (logLikelihood(samples, m) > logLikelihood(samples, best) ? m : best));
  return { ...model, calibration: fitCalibration(samples, model) };
}
