import type { SubjectKind } from '@parcours/contracts';
import { z } from 'zod';
import { eventAttribution, isDecided, sessionAttribution, type EventAttributionLike } from './attribution-accuracy.js';
import { inferenceAccuracy, type InferenceAccuracy } from './inference-accuracy.js';
import { matchSessions, scoreByDeviceType, scoreMatching, type SessionMatching } from './session-matching.js';
import { compareTransitions, type JourneyLike } from './transition-accuracy.js';

/**
 * The accuracy report: Parcours' derived sessions, attribution and transitions against a simulator's
 * ground truth, with the targets Parcours must meet (`targets`). Pure: the command gathers the inputs from the store.
 */

const scoresSchema = z.object({
  truth: z.number().int(),
  derived: z.number().int(),
  matched: z.number().int(),
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
});
const shareSchema = z.object({
  count: z.number().int(),
  subjectRight: z.number().int(),
  individualRight: z.number().int(),
  subjectShare: z.number(),
  individualShare: z.number(),
});
const attributionSchema = z.object({
  decided: shareSchema.describe('the registry (a personal device) or a reported actor decides who used it'),
  inferred: shareSchema.describe('a shared device that names nobody: the individual is at best inferred'),
});
const transitionsSchema = z.object({
  rows: z.array(z.object({ subjectType: z.string(), from: z.string(), to: z.string(), truth: z.number().int(), derived: z.number().int() })),
  truthTotal: z.number().int(),
  derivedTotal: z.number().int(),
  absoluteError: z.number().int(),
  relativeError: z.number(),
});

const truthSessionRefSchema = z.object({ deviceId: z.string(), deviceType: z.string(), startMs: z.number().int(), endMs: z.number().int() });
const derivedSessionRefSchema = z.object({ id: z.string(), deviceId: z.string(), deviceType: z.string(), start: z.number().int(), end: z.number().int() });

export const accuracyReportSchema = z.object({
  window: z.object({ fromMs: z.number().int(), toMs: z.number().int() }),
  sessions: scoresSchema.extend({
    toleranceMs: z.number().int().nonnegative(),
    nearMisses: z.number().int().describe('overlapping pairs outside the tolerance (each is one false positive and one false negative)'),
    excludedOpenAtEnd: z.number().int().describe('truth sessions still open at the end of the window, left out with their derived counterparts'),
    runningAtStart: z
      .object({ compared: z.number().int(), leftOut: z.number().int() })
      .describe(
        "truth sessions begun before the window (from the device's first sample in it): compared where Parcours derived them, left out with their near counterparts where not (only a telemetry rule can show them)",
      ),
    byDeviceType: z.record(z.string(), scoresSchema),
    unmatched: z
      .object({
        nearMisses: z.array(z.object({ truth: truthSessionRefSchema, derived: derivedSessionRefSchema })),
        missed: z.array(truthSessionRefSchema).describe('truth sessions with no derived session near them'),
        spurious: z.array(derivedSessionRefSchema).describe('derived sessions with no truth session near them'),
      })
      .describe('the sessions behind every point of F1 lost, to find the cause'),
  }),
  inference: z
    .object({
      sessions: z.number().int(),
      inferred: z.number().int(),
      right: z.number().int(),
      inferredShare: z.number(),
      precision: z.number(),
      precisionInterval: z.object({ low: z.number(), high: z.number() }).describe('the 95 % Wilson score interval of the share right'),
      calibrationError: z.number(),
      calibrationErrorByChance: z.number().describe('the calibration error a perfectly calibrated inference stays under 95 % of the time on these confidences'),
      bins: z.array(z.object({ from: z.number(), to: z.number(), count: z.number().int(), meanConfidence: z.number(), accuracy: z.number() })),
    })
    .describe('the inferred actor on matched sessions that only inference can name: how often, how often right, and how calibrated its confidence'),
  attribution: z.object({
    sessions: attributionSchema,
    events: attributionSchema.extend({ unjudged: z.number().int().describe('stored usage events inside no truth session') }),
  }),
  transitions: z.object({
    source: z
      .literal('journeys-table')
      .describe(
        'Parcours-side journeys as Parcours stored them (closed, and pending in the stream), without the sessions of truth sessions still open at the end',
      ),
    knowable: transitionsSchema.describe('truth journeys of individuals only where the registry or an actor names them'),
    all: transitionsSchema.describe('truth journeys with every real user, including unnamed users of shared devices'),
  }),
  targets: z.array(z.object({ name: z.string(), target: z.string(), value: z.number(), met: z.boolean() })),
});
export type AccuracyReport = z.infer<typeof accuracyReportSchema>;

export interface TruthSessionInput {
  deviceId: string;
  deviceType: string;
  subjectId: string | null;
  user: string | null;
  actor: string | null;
  startMs: number;
  endMs: number;
}
export interface DerivedSessionInput {
  id: string;
  deviceId: string;
  deviceType: string;
  subjectId: string | null;
  subjectKind: SubjectKind | null;
  actor: string | null;
  inferredActor: string | null;
  inferenceConfidence: number | null;
  start: number;
  end: number;
}
/** What journeys are cut from: the simulator's convention takes the owner and the individual who used it. */
export interface JourneySession {
  deviceType: string;
  subjectId: string | null;
  user: string | null;
  startMs: number;
  endMs: number;
}

/** A journey as Parcours derived it: its path's steps are its sessions, in order. */
export interface DerivedJourneyInput extends JourneyLike {
  end: number;
}

export interface AccuracyInput {
  fromMs: number;
  toMs: number;
  truth: readonly TruthSessionInput[];
  /** Truth sessions begun before the window, from the device's first sample in it. */
  runningAtStart?: readonly TruthSessionInput[];
  /** Derived sessions starting in [fromMs, toMs). */
  derived: readonly DerivedSessionInput[];
  /** Stored usage events with device time in [fromMs, toMs). */
  events: readonly EventAttributionLike[];
  subjects: ReadonlyMap<string, { kind: SubjectKind; type: string }>;
  /** Parcours' journeys starting in [fromMs, toMs): the stored ones, and those still pending in the stream. */
  derivedJourneys: readonly DerivedJourneyInput[];
  /** Cuts the truth's sessions into journeys: the simulator's `buildJourneys`, with `gapMs`. */
  journeysOf: (sessions: JourneySession[]) => (JourneyLike & { endMs: number })[];
  /** Parcours' journey gap. */
  gapMs: number;
  /** The device types Parcours' session rules declare ambient: no inferred actor is expected of them. */
  ambient: (deviceType: string) => boolean;
  toleranceMs?: number;
}

const truthRef = ({ deviceId, deviceType, startMs, endMs }: TruthSessionInput) => ({ deviceId, deviceType, startMs, endMs });
const derivedRef = ({ id, deviceId, deviceType, start, end }: DerivedSessionInput) => ({ id, deviceId, deviceType, start, end });

/** Near misses as pairs, then the sessions with no counterpart at all, each in time order. */
function unmatchedSessions(m: SessionMatching<TruthSessionInput, DerivedSessionInput>): AccuracyReport['sessions']['unmatched'] {
  const near = [...m.nearMisses].sort((a, b) => a.truth.startMs - b.truth.startMs);
  const nearTruth = new Set(near.map((p) => p.truth));
  const nearDerived = new Set(near.map((p) => p.derived));
  return {
    nearMisses: near.map((p) => ({ truth: truthRef(p.truth), derived: derivedRef(p.derived) })),
    missed: m.missed
      .filter((t) => !nearTruth.has(t))
      .sort((a, b) => a.startMs - b.startMs)
      .map(truthRef),
    spurious: m.spurious
      .filter((d) => !nearDerived.has(d))
      .sort((a, b) => a.start - b.start)
      .map(derivedRef),
  };
}

export const targets = { sessionF1: 0.99, decidedShare: 1, transitionError: 0.01, inferredRight: 0.8, calibrationError: 0.05 } as const;

/**
 * The inference's targets, missed only where chance cannot explain the figure on so few inferences: the
 * share right when its whole 95 % interval lies below the target, the calibration error when it exceeds
 * both the target and what a perfectly calibrated inference reaches by chance (`inference-accuracy.ts`).
 */
function inferenceTargets(i: InferenceAccuracy): AccuracyReport['targets'] {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const of = `${i.inferred} inferences, for ${pct(i.inferredShare)} of ${i.sessions} sessions`;
  return [
    {
      name: 'inferred individual right',
      target: `≥ ${pct(targets.inferredRight)}, within the 95% interval (${pct(i.precisionInterval.low)}–${pct(i.precisionInterval.high)} on ${of})`,
      value: i.precision,
      met: i.precisionInterval.high >= targets.inferredRight,
    },
    {
      name: 'inference calibration error',
      target: `≤ ${pct(targets.calibrationError)}, or within chance (${pct(i.calibrationErrorByChance)} on ${of})`,
      value: i.calibrationError,
      met: i.calibrationError <= Math.max(targets.calibrationError, i.calibrationErrorByChance),
    },
  ];
}

export function computeAccuracy(input: AccuracyInput): AccuracyReport {
  const { fromMs, toMs, subjects } = input;
  const toleranceMs = input.toleranceMs ?? 0;
  const kindOf = (id: string) => subjects.get(id)?.kind;
  const typeOf = (id: string) => subjects.get(id)?.type ?? 'unknown';
  const begunBefore = new Set(input.runningAtStart ?? []);
  const inWindow = [...input.truth.filter((t) => t.startMs >= fromMs && t.startMs < toMs), ...begunBefore];
  const all = matchSessions(
    inWindow,
    input.derived.filter((d) => d.start >= fromMs && d.start < toMs),
    toleranceMs,
  );
  // A session whose stop lies beyond the window may still be open in Parcours, and one begun before it
  // shows only through a telemetry rule: judge neither side of them, unless Parcours derived the latter.
  const open = (t: TruthSessionInput) => t.endMs >= toMs;
  const seenBegun = new Set(all.matched.map((p) => p.truth).filter((t) => begunBefore.has(t)));
  const leftOut = (t: TruthSessionInput) => open(t) || (begunBefore.has(t) && !seenBegun.has(t));
  const dropped = new Set([...all.matched, ...all.nearMisses].filter((p) => leftOut(p.truth)).map((p) => p.derived));
  const m = {
    matched: all.matched.filter((p) => !leftOut(p.truth)),
    nearMisses: all.nearMisses.filter((p) => !leftOut(p.truth)),
    missed: all.missed.filter((t) => !leftOut(t)),
    spurious: all.spurious.filter((d) => !dropped.has(d)),
  };
  const closedTruth = inWindow.filter((t) => !leftOut(t));

  // A session still open at the window's end could join or bridge the journeys before it, on either
  // side: compared are the journeys of each subject that ended more than a gap before its first such
  // session (and before the window's end), which nothing after the window can change.
  const horizon = new Map<string, number>();
  for (const t of inWindow.filter(open)) {
    for (const id of [t.subjectId, t.user]) if (id !== null) horizon.set(id, Math.min(t.startMs, horizon.get(id) ?? toMs));
  }
  const settled = (subjectId: string, endMs: number) => endMs + input.gapMs < (horizon.get(subjectId) ?? toMs);
  const derivedJourneys = input.derivedJourneys.filter((j) => settled(j.subjectId, j.end));
  const truthJourneys = (knowable: boolean) =>
    input
      .journeysOf(
        closedTruth.map((t) => ({
          deviceType: t.deviceType,
          subjectId: t.subjectId,
          user: !knowable || isDecided(t, kindOf) ? t.user : null,
          startMs: t.startMs,
          endMs: t.endMs,
        })),
      )
      .filter((j) => settled(j.subjectId, j.endMs));

  const scores = scoreMatching(m);
  const sessionsAttribution = sessionAttribution(m.matched, kindOf);
  const eventsAttribution = eventAttribution(input.events, closedTruth, kindOf);
  const knowable = compareTransitions(truthJourneys(true), derivedJourneys, typeOf);
  const report = {
    window: { fromMs, toMs },
    sessions: {
      ...scores,
      toleranceMs,
      nearMisses: m.nearMisses.length,
      excludedOpenAtEnd: inWindow.filter(open).length,
      runningAtStart: { compared: [...seenBegun].filter((t) => !open(t)).length, leftOut: [...begunBefore].filter((t) => !seenBegun.has(t)).length },
      byDeviceType: scoreByDeviceType(m),
      unmatched: unmatchedSessions(m),
    },
    inference: inferenceAccuracy(m.matched, kindOf, input.ambient),
    attribution: { sessions: sessionsAttribution, events: eventsAttribution },
    transitions: { source: 'journeys-table' as const, knowable, all: compareTransitions(truthJourneys(false), derivedJourneys, typeOf) },
  };
  // As each share: 1 when there is nothing to count (a fleet that sends no events).
  const subjectShare = (a: typeof sessionsAttribution) => {
    const count = a.decided.count + a.inferred.count;
    return count === 0 ? 1 : (a.decided.subjectRight + a.inferred.subjectRight) / count;
  };
  return {
    ...report,
    targets: [
      { name: 'session F1', target: `≥ ${targets.sessionF1}`, value: scores.f1, met: scores.f1 >= targets.sessionF1 },
      // The subject (owner) is always the registry's decision; the individual only where it or an actor decides.
      {
        name: 'sessions: right subject',
        target: '100%',
        value: subjectShare(sessionsAttribution),
        met: subjectShare(sessionsAttribution) >= targets.decidedShare,
      },
      {
        name: 'sessions: right individual (decided)',
        target: '100%',
        value: sessionsAttribution.decided.individualShare,
        met: sessionsAttribution.decided.individualShare >= targets.decidedShare,
      },
      { name: 'events: right subject', target: '100%', value: subjectShare(eventsAttribution), met: subjectShare(eventsAttribution) >= targets.decidedShare },
      {
        name: 'events: right individual (decided)',
        target: '100%',
        value: eventsAttribution.decided.individualShare,
        met: eventsAttribution.decided.individualShare >= targets.decidedShare,
      },
      {
        name: 'transition count error (knowable)',
        target: `≤ ${targets.transitionError * 100}%`,
        value: knowable.relativeError,
        met: knowable.relativeError <= targets.transitionError,
      },
      ...inferenceTargets(report.inference),
    ],
  };
}
