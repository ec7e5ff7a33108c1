import type { LogReader, LogRecord, ThresholdRule, UsageSession } from '@parcours/contracts';
import { isAmbient, rulesOf, thresholdTypes, type SessionRules } from './session-builder.js';

/**
 * Who probably used a shared device when it did not say: the member of its collective whose personal
 * devices were in use nearest the session's start (docs/analytics.md, "Actor inference"). Marked as
 * inferred, never mixed with reported actors.
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

/** Distance from t to each individual's nearest activity among the records. */
export function nearestActivity(records: readonly LogRecord[], t: number, rules: SessionRules): Map<string, number> {
  const nearest = new Map<string, number>();
  for (const record of records) {
    if (record.subjectKind !== 'individual' || record.subjectId === null || !isActivity(record, rules)) continue;
    const distance = Math.abs(record.ts - t);
    if (distance < (nearest.get(record.subjectId) ?? Number.POSITIVE_INFINITY)) nearest.set(record.subjectId, distance);
  }
  return nearest;
}

/** The cap of an inferred confidence: it stays a guess, however close. */
const maxConfidence = 0.9;

type Inferred = Pick<UsageSession, 'inferredActor' | 'inferenceConfidence'>;
const none: Inferred = Object.freeze({ inferredActor: null, inferenceConfidence: null });

/** Sessions the inference is for: on a collective's device, no actor reported. */
export function needsInference(session: UsageSession): boolean {
  return session.actor === null && session.subjectKind === 'collective' && session.subjectId !== null;
}

/**
 * Closeness of each member with activity within the window is `1 - distance / window`; the nearest wins,
 * with a confidence that is its closeness times its share of all candidates' closeness (two equally near
 * members: at most 0.45).
 */
export function inferActor(session: UsageSession, members: readonly string[], nearest: ReadonlyMap<string, number>, windowMs: number): Inferred {
  if (!needsInference(session)) return none;
  const scored = members
    .map((id) => ({ id, distance: nearest.get(id) }))
    .filter((c): c is { id: string; distance: number } => c.distance !== undefined && c.distance <= windowMs)
    .map((c) => ({ id: c.id, closeness: 1 - c.distance / windowMs }))
    .sort((a, b) => b.closeness - a.closeness || a.id.localeCompare(b.id));
  const best = scored[0];
  const total = scored.reduce((sum, c) => sum + c.closeness, 0);
  if (!best || total === 0) return none;
  return { inferredActor: best.id, inferenceConfidence: Math.round(Math.min(maxConfidence, best.closeness * (best.closeness / total)) * 1000) / 1000 };
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
      /** Members of a collective at t, from the registry as of t. */
      membersAt: (collectiveId: string, t: number) => string[];
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
    const { log, rules, windowMs, membersAt } = this.deps;
    const members = membersAt(session.subjectId!, session.start);
    if (members.length === 0) return { ...session, ...none };
    const records = log.readSubjects(members, session.start - windowMs, session.start + windowMs + 1, this.withMetrics);
    return { ...session, ...inferActor(session, members, nearestActivity(records, session.start, rules), windowMs) };
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
