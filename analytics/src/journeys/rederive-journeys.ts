import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { measurements, tags, type Journey, type UsageSession } from '@parcours/contracts';
import type { ResultChange, ResultWriter } from '../output/result-writer.js';
import { journeyChange } from '../result-updates.js';
import type { SessionStore } from '../sessions/session-store.js';
import { JourneyBuilder, sessionUser, splitJourneys, toStep, type JourneyRules, type OpenSessionLike, type PendingJourney } from './journey-builder.js';
import type { JourneyStore } from './journey-store.js';

export interface RederiveJourneysDeps extends JourneyRules {
  sessions: SessionStore;
  journeys: JourneyStore;
  writer: ResultWriter;
  baseTopic: string;
  /** Told as subjects are done: how many so far, of `total`. */
  onProgress?: (done: number, total: number) => void;
}

/** The subjects whose journeys a set of sessions is part of: owners and users (none for ambient sessions). */
export function journeySubjects(sessions: readonly UsageSession[], ambient: JourneyRules['ambient']): Set<string> {
  return new Set(
    sessions
      .filter((s) => !ambient(s.deviceType))
      .flatMap((s) => [s.subjectId, sessionUser(s)])
      .filter((id): id is string => id !== null),
  );
}

/** What decides which journeys can no longer grow: the stream's watermark and the sessions still open. */
export interface StreamState {
  watermark: number;
  open: readonly OpenSessionLike[];
}

/** One subject's journeys from the first one a change at `from` may touch, rebuilt from the stored sessions. */
export interface SubjectRebuild {
  /** The rebuilt span: the stored journeys starting in `[from, to]` are replaced. */
  from: number;
  to: number;
  /** Those that can no longer grow, as the streaming job would close them. */
  closed: Journey[];
  /** The rest, the subject's pending journey. */
  pending: PendingJourney | null;
  /** The stored journeys they replace. */
  replaced: Journey[];
}

/**
 * Rebuilds a subject's journeys from the stored sessions, from its first stored journey still joinable
 * at `from` (or its pending one, if earlier): a changed session can merge or split the journeys after it.
 * Which journeys close is decided as the streaming job does, so that the stream goes on from the result.
 */
export function rebuildSubjectJourneys(
  deps: Pick<RederiveJourneysDeps, 'sessions' | 'journeys' | keyof JourneyRules>,
  subjectId: string,
  from: number,
  state: StreamState,
): SubjectRebuild {
  const pendingStart = Math.min(...(deps.journeys.pendingOf(subjectId)?.steps.map((s) => s.start) ?? []));
  const lo = Math.min(from, deps.journeys.earliestTouching(subjectId, from, Number.MAX_SAFE_INTEGER, deps.gapMs) ?? from, pendingStart);
  const sessions = deps.sessions.listCountedFor(subjectId, lo).filter((s) => !deps.ambient(s.deviceType));
  const builder = new JourneyBuilder(deps, sessions.length > 0 ? [{ ...describe(subjectId, sessions, deps.individualType), steps: sessions.map(toStep) }] : []);
  const closed = builder.advance(state.watermark, state.open);
  const replaced = deps.journeys.listForSubject(subjectId, lo, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const hi = Math.max(lo, ...replaced.map((j) => j.start), ...closed.map((j) => j.start));
  return { from: lo, to: hi, closed, pending: builder.pendingJourneys()[0] ?? null, replaced };
}

/**
 * What a subject's rebuild changes: its journey points over the rebuilt span replaced, and the journeys
 * whose id is gone (merged into another, or their start moved) announced removed, unless pending again.
 */
export function rebuildChange(baseTopic: string, gapMs: number, subjectId: string, r: SubjectRebuild): ResultChange {
  const pending = new Set(r.pending ? splitJourneys(r.pending, r.pending.steps, gapMs).map((j) => j.id) : []);
  const ranges = [{ measurement: measurements.journey, tags: { [tags.subject]: subjectId }, from: r.from, to: r.to + 1 }];
  return journeyChange(baseTopic, ranges, r.replaced, r.closed, pending);
}

/**
 * Batch re-derivation of the journeys of some subjects after their sessions from `from` were re-derived:
 * each subject's are rebuilt (`rebuildSubjectJourneys`) and replace the stored ones (same ids) and its
 * pending journey, in the store and in InfluxDB, with their announcements, as the streaming job settles
 * a subject. Returns the closed journeys rebuilt.
 */
export async function rederiveJourneys(deps: RederiveJourneysDeps, subjects: ReadonlySet<string>, from: number, state: StreamState): Promise<Journey[]> {
  const rebuilt: (SubjectRebuild & { subjectId: string })[] = [];
  let settled = 0;
  // Settled in one transaction per progress step, before the loop yields: one per subject costs more than the rebuild.
  const settle = async () => {
    const done = rebuilt.slice(settled);
    const changes = done.map((r) => rebuildChange(deps.baseTopic, deps.gapMs, r.subjectId, r));
    await deps.writer.replacePoints({ ranges: changes.flatMap((c) => c.ranges), points: changes.flatMap((c) => c.points) });
    deps.writer.commit(
      () => deps.journeys.settleAll(done.map((r) => ({ subjectId: r.subjectId, from: r.from, to: r.to, journeys: r.closed, pending: r.pending }))),
      changes.flatMap((c) => c.messages),
    );
    settled = rebuilt.length;
  };
  for (const subjectId of subjects) {
    if (deps.onProgress && rebuilt.length % 500 === 0) {
      await settle();
      deps.onProgress(rebuilt.length, subjects.size);
      // Lets a progress display draw: the store is read synchronously.
      await yieldToLoop();
    }
    rebuilt.push({ subjectId, ...rebuildSubjectJourneys(deps, subjectId, from, state) });
  }
  await settle();
  deps.onProgress?.(subjects.size, subjects.size);
  return rebuilt.flatMap((r) => r.closed);
}

/** Kind and type of a subject: from a session it owns, else it is an individual who used others' devices. */
export function describe(subjectId: string, sessions: readonly UsageSession[], individualType: (id: string) => string | null): Omit<PendingJourney, 'steps'> {
  const owned = sessions.find((s) => s.subjectId === subjectId);
  return owned
    ? { subjectId, subjectKind: owned.subjectKind, subjectType: owned.subjectType }
    : { subjectId, subjectKind: 'individual', subjectType: individualType(subjectId) };
}
