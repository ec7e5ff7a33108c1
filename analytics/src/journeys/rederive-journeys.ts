import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { measurements, tags, type Journey, type UsageSession } from '@parcours/contracts';
import { writeIsolatingRefused, type InfluxWriter } from '@parcours/gateway';
import type { Logger } from 'pino';
import type { SessionStore } from '../sessions/session-store.js';
import { JourneyBuilder, sessionUser, toStep, type OpenSessionLike, type PendingJourney } from './journey-builder.js';
import { journeyPoint } from './journey-output.js';
import type { JourneyStore } from './journey-store.js';

export interface RederiveJourneysDeps {
  sessions: SessionStore;
  journeys: JourneyStore;
  gapMs: number;
  individualType: (individualId: string) => string | null;
  influx: InfluxWriter | null;
  logger: Logger;
  /** Told as subjects are done: how many so far, of `total`. */
  onProgress?: (done: number, total: number) => void;
}

/** The subjects whose journeys a set of sessions is part of: owners and users. */
export function journeySubjects(sessions: readonly UsageSession[]): Set<string> {
  return new Set(sessions.flatMap((s) => [s.subjectId, sessionUser(s)]).filter((id): id is string => id !== null));
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
  deps: Pick<RederiveJourneysDeps, 'sessions' | 'journeys' | 'gapMs' | 'individualType'>,
  subjectId: string,
  from: number,
  state: StreamState,
): SubjectRebuild {
  const pendingStart = Math.min(...(deps.journeys.pendingOf(subjectId)?.steps.map((s) => s.start) ?? []));
  const lo = Math.min(from, deps.journeys.earliestTouching(subjectId, from, Number.MAX_SAFE_INTEGER, deps.gapMs) ?? from, pendingStart);
  const sessions = deps.sessions.listCountedFor(subjectId, lo);
  const builder = new JourneyBuilder(
    deps.gapMs,
    deps.individualType,
    sessions.length > 0 ? [{ ...describe(subjectId, sessions, deps.individualType), steps: sessions.map(toStep) }] : [],
  );
  const closed = builder.advance(state.watermark, state.open);
  const replaced = deps.journeys.listForSubject(subjectId, lo, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const hi = Math.max(lo, ...replaced.map((j) => j.start), ...closed.map((j) => j.start));
  return { from: lo, to: hi, closed, pending: builder.pendingJourneys()[0] ?? null, replaced };
}

/**
 * Batch re-derivation of the journeys of some subjects after their sessions from `from` were re-derived:
 * each subject's are rebuilt (`rebuildSubjectJourneys`) and replace the stored ones (same ids) and its
 * pending journey, in the store and in InfluxDB. Returns the closed journeys rebuilt.
 */
export async function rederiveJourneys(deps: RederiveJourneysDeps, subjects: ReadonlySet<string>, from: number, state: StreamState): Promise<Journey[]> {
  const rebuilt: (SubjectRebuild & { subjectId: string })[] = [];
  let settled = 0;
  // Settled in one transaction per progress step, before the loop yields: one per subject costs more than the rebuild.
  const settle = () => {
    deps.journeys.settleAll(rebuilt.slice(settled).map((r) => ({ subjectId: r.subjectId, from: r.from, to: r.to, journeys: r.closed, pending: r.pending })));
    settled = rebuilt.length;
  };
  for (const subjectId of subjects) {
    if (deps.onProgress && rebuilt.length % 500 === 0) {
      settle();
      deps.onProgress(rebuilt.length, subjects.size);
      // Lets a progress display draw: the store is read synchronously.
      await yieldToLoop();
    }
    rebuilt.push({ subjectId, ...rebuildSubjectJourneys(deps, subjectId, from, state) });
  }
  settle();
  deps.onProgress?.(subjects.size, subjects.size);
  if (deps.influx) {
    for (const r of rebuilt)
      await deps.influx.deleteRange({ measurement: measurements.journey, tags: { [tags.subject]: r.subjectId }, from: r.from, to: r.to + 1 });
    await writeIsolatingRefused(deps.influx, rebuilt.flatMap((r) => r.closed).map(journeyPoint), (point, error) => {
      deps.logger.error({ point, reason: error.message }, 'InfluxDB refused a journey point; the journey stays in the store');
    });
  }
  return rebuilt.flatMap((r) => r.closed);
}

/** Kind and type of a subject: from a session it owns, else it is an individual who used others' devices. */
export function describe(subjectId: string, sessions: readonly UsageSession[], individualType: (id: string) => string | null): Omit<PendingJourney, 'steps'> {
  const owned = sessions.find((s) => s.subjectId === subjectId);
  return owned
    ? { subjectId, subjectKind: owned.subjectKind, subjectType: owned.subjectType }
    : { subjectId, subjectKind: 'individual', subjectType: individualType(subjectId) };
}
