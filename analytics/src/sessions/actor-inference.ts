import type { LogReader, LogRecord, ThresholdRule, UsageSession } from '@parcours/contracts';
import { activeNear, memberPosteriors, observable, type InferenceModel, type MemberEvidence } from './inference-model.js';
import { fittedModel } from './inference-ratios.js';

export type MemberEvidenceMap = Map<string, MemberEvidence>;
import { isAmbient, rulesOf, thresholdTypes, type SessionRules } from './session-builder.js';

/**
 * Who probably used a shared device when it did not say: the likeliest member of its collective given
 * their personal devices' use around the session's start, if likely enough (docs/analytics.md, "Actor
 * inference"). Marked as inferred, never mixed with reported actors.
 */

/** Whether a telemetry sample is past its rule's threshold: the device in use, by its type's session rule. */
function pastThreshold(rule: ThresholdRule, value: number): boolean {
  return rule.comparison === 'above' ? value > rule.threshold : value < rule.threshold;
}

/**
 * Whether a record of an individual's device shows it in use: an event (usage.start, usage.stop…), or a
 * telemetry sample past its type's session threshold. Other telemetry (battery, signal) is no activity:
 * a device reports it unattended.
 */
export function isActivity(record: LogRecord, rules: SessionRules): boolean {
  if (record.channel === 'events') return true;
  const { threshold } = rulesOf(rules, record.deviceType);
  const value = threshold ? record.metrics?.[threshold.metric] : undefined;
  return threshold !== null && value !== undefined && pastThreshold(threshold, Number(value));
}

/**
 * What the records show of each individual around t: per type of its devices heard from, that device type's
 * activity nearest t, or none (a battery reading says the device is there, and was not used).
 */
export function memberEvidence(records: readonly LogRecord[], t: number, rules: SessionRules): MemberEvidenceMap {
  const devices = new Map<string, Map<string, number | null>>();
  for (const record of records) {
    if (record.subjectKind !== 'individual' || record.subjectId === null) continue;
    const ofMember = devices.get(record.subjectId) ?? new Map<string, number | null>();
    devices.set(record.subjectId, ofMember);
    const seen = ofMember.get(record.deviceType) ?? null;
    const offsetMs = record.ts - t;
    const nearer = seen === null || Math.abs(offsetMs) < Math.abs(seen);
    ofMember.set(record.deviceType, nearer && isActivity(record, rules) ? offsetMs : seen);
  }
  return new Map([...devices].map(([id, ofMember]) => [id, { devices: ofMember }]));
}

type Inferred = Pick<UsageSession, 'inferredActor' | 'inferenceConfidence'>;
const none: Inferred = Object.freeze({ inferredActor: null, inferenceConfidence: null });

/** Sessions the inference is for: on a collective's device, no actor reported. */
export function needsInference(session: UsageSession): boolean {
  return session.actor === null && session.subjectKind === 'collective' && session.subjectId !== null;
}

/** The members of a collective at a session's start, and what the inference knows of them. */
export interface MembersAtStart {
  members: readonly string[];
  /** The types of the personal devices each member owned at the start. */
  deviceTypes: (member: string) => readonly string[];
  evidence: ReadonlyMap<string, MemberEvidence>;
}

/** Whether every member owns a personal device the model reads (`observable`): else no use could show who it was. */
function allObservable(members: readonly string[], deviceTypes: MembersAtStart['deviceTypes'], model: InferenceModel): boolean {
  return members.every((id) => observable(deviceTypes(id), model));
}

/**
 * The likeliest user among the members with activity near the start, with its probability
 * (`inference-model.ts`) as the confidence; nobody when that probability is below `minConfidence`, or when
 * a member cannot be observed (no personal device the model reads): that member's use would show nowhere.
 */
export function inferActor(
  session: UsageSession,
  { members, deviceTypes, evidence }: MembersAtStart,
  minConfidence: number,
  model: InferenceModel = fittedModel,
): Inferred {
  if (!needsInference(session) || !allObservable(members, deviceTypes, model)) return none;
  const posteriors = memberPosteriors(members, evidence, model);
  const active = members
    .filter((id) => {
      const e = evidence.get(id);
      return e !== undefined && activeNear(e, model);
    })
    .map((id) => ({ id, p: posteriors.get(id) ?? 0 }));
  const best = active.sort((a, b) => b.p - a.p || a.id.localeCompare(b.id))[0];
  const confidence = best ? Math.round(best.p * 1000) / 1000 : 0;
  if (!best || confidence === 0 || confidence < minConfidence) return none;
  return { inferredActor: best.id, inferenceConfidence: confidence };
}

/**
 * The inference as the session jobs use it. A session's inferred actor is decided once the watermark has
 * passed its start plus the window, from the activity in the log within the window of its start: what
 * arrived by then, and, in streaming, what arrives later (`revisions`). It is thus a function of the
 * log, whatever batches the records came in, the same in streaming and in batch.
 */
export class ActorInference {
  private readonly withMetrics: string[];

  constructor(
    private readonly deps: {
      log: LogReader;
      rules: SessionRules;
      windowMs: number;
      /** Below this probability, no actor is inferred. */
      minConfidence: number;
      /** Members of a collective at t, from the registry as of t. */
      membersAt: (collectiveId: string, t: number) => string[];
      /** The types of the devices an individual owned at t, from the registry as of t. */
      deviceTypesOwnedAt: (individualId: string, t: number) => string[];
      /** The fitted one unless given (a test's own). */
      model?: InferenceModel;
    },
  ) {
    this.withMetrics = thresholdTypes(deps.rules);
  }

  /** Whether the activity within the window of the session's start has all had its chance to arrive. */
  decided(session: UsageSession, watermark: number): boolean {
    return session.start + this.deps.windowMs <= watermark;
  }

  /** Whether the session is one to infer the actor of: shared, no actor reported, not on an ambient device (used by nobody). */
  private inferable(session: UsageSession): boolean {
    return needsInference(session) && !isAmbient(this.deps.rules, session.deviceType);
  }

  /** The session with its inferred actor, or with none while the watermark has not decided it. */
  infer(session: UsageSession, watermark: number): UsageSession {
    if (!this.inferable(session) || !this.decided(session, watermark)) return { ...session, ...none };
    const { log, rules, windowMs, minConfidence, membersAt, deviceTypesOwnedAt, model } = this.deps;
    const members = membersAt(session.subjectId!, session.start);
    const deviceTypes = (member: string) => deviceTypesOwnedAt(member, session.start);
    // Checked before the log is read: a collective with a member no device shows gets no inference anyway.
    if (members.length === 0 || !allObservable(members, deviceTypes, model ?? fittedModel)) return { ...session, ...none };
    const records = log.readSubjects(members, session.start - windowMs, session.start + windowMs + 1, this.withMetrics);
    return { ...session, ...inferActor(session, { members, deviceTypes, evidence: memberEvidence(records, session.start, rules) }, minConfidence, model) };
  }

  /**
   * The stored sessions whose inference a stream's batch changes, before and after: those the watermark's
   * move decides (closed in earlier batches, before their window had passed), and those within the window
   * of activity that came after the watermark had decided them (late activity). `stored` lists the stored
   * sessions starting in `[from, to)`; `skip` has the ids the batch replaces anyway.
   */
  revisions(
    records: readonly LogRecord[],
    watermarks: { before: number; after: number },
    stored: (from: number, to: number) => readonly UsageSession[],
    skip: ReadonlySet<string>,
  ): { before: UsageSession[]; after: UsageSession[] } {
    const before: UsageSession[] = [];
    const after: UsageSession[] = [];
    for (const { from, to } of this.revisionRanges(records, watermarks)) {
      for (const session of stored(from, to + 1)) {
        if (skip.has(session.id) || !this.inferable(session)) continue;
        const revised = this.infer(session, watermarks.after);
        if (revised.inferredActor === session.inferredActor && revised.inferenceConfidence === session.inferenceConfidence) continue;
        before.push(session);
        after.push(revised);
      }
    }
    return { before, after };
  }

  /** The starts, as disjoint `[from, to]` ranges, of the sessions whose inference the records and the watermark's move may change. */
  private revisionRanges(records: readonly LogRecord[], watermarks: { before: number; after: number }): { from: number; to: number }[] {
    const { windowMs, rules } = this.deps;
    const decidedBefore = watermarks.before - windowMs;
    const ranges: { from: number; to: number }[] = [];
    if (Number.isFinite(watermarks.after) && watermarks.after > watermarks.before)
      ranges.push({ from: Math.max(decidedBefore, Number.MIN_SAFE_INTEGER), to: watermarks.after - windowMs });
    for (const r of records) {
      if (r.subjectKind === 'individual' && r.ts - windowMs <= decidedBefore && isActivity(r, rules))
        ranges.push({ from: r.ts - windowMs, to: Math.min(r.ts + windowMs, decidedBefore) });
    }
    ranges.sort((a, b) => a.from - b.from);
    const merged: { from: number; to: number }[] = [];
    for (const range of ranges) {
      const last = merged.at(-1);
      if (last && range.from <= last.to) last.to = Math.max(last.to, range.to);
      else merged.push({ ...range });
    }
    return merged;
  }
}
