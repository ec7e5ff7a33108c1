import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { measurements, tags, type Journey, type UsageSession } from '@parcours/contracts';
import { writeIsolatingRefused, type InfluxWriter } from '@parcours/gateway';
import type { Logger } from 'pino';
import type { SessionStore } from '../sessions/session-store.js';
import { sessionUser, splitJourneys, toStep, type PendingJourney } from './journey-builder.js';
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

/**
 * Batch re-derivation of the journeys of some subjects after their sessions in `[from, to)` were
 * re-derived: from the first stored journey still joinable from `from` onwards, the journeys are rebuilt
 * from the stored sessions and replace the stored ones (same ids), in the store and in InfluxDB. A
 * changed session can merge or split the journeys after it, hence everything after that point. The
 * streaming job's pending steps are not rebuilt: a session re-derived while its journey is still open
 * keeps its earlier version there until that journey closes.
 */
export async function rederiveJourneys(deps: RederiveJourneysDeps, subjects: ReadonlySet<string>, from: number, to: number): Promise<Journey[]> {
  const rebuilt: Journey[] = [];
  const pending = new Map(deps.journeys.loadPending().map((p) => [p.subjectId, new Set(p.steps.map((step) => step.sessionId))]));
  let done = 0;
  for (const subjectId of subjects) {
    if (deps.onProgress && done++ % 500 === 0) {
      deps.onProgress(done - 1, subjects.size);
      // Lets a progress display draw: the store is read synchronously.
      await yieldToLoop();
    }
    const lo = Math.min(from, deps.journeys.earliestTouching(subjectId, from, to, deps.gapMs) ?? from);
    const sessions = deps.sessions.listCountedFor(subjectId, lo);
    const old = deps.journeys.listForSubject(subjectId, lo, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const built = splitJourneys(describe(subjectId, sessions, deps.individualType), sessions.map(toStep), deps.gapMs);
    // A journey the streaming job has not closed yet (an open session may still join it) stays its to close.
    const held = built.findIndex((j) => j.sessions.some((id) => pending.get(subjectId)?.has(id)));
    const journeys = held === -1 ? built : built.slice(0, held);
    const hi = Math.max(lo, ...old.map((j) => j.start), ...journeys.map((j) => j.start));
    deps.journeys.replace(subjectId, lo, hi, journeys);
    if (deps.influx) await deps.influx.deleteRange({ measurement: measurements.journey, tags: { [tags.subject]: subjectId }, from: lo, to: hi + 1 });
    rebuilt.push(...journeys);
  }
  deps.onProgress?.(subjects.size, subjects.size);
  if (deps.influx) {
    await writeIsolatingRefused(deps.influx, rebuilt.map(journeyPoint), (point, error) => {
      deps.logger.error({ point, reason: error.message }, 'InfluxDB refused a journey point; the journey stays in the store');
    });
  }
  return rebuilt;
}

/** Kind and type of a subject: from a session it owns, else it is an individual who used others' devices. */
export function describe(subjectId: string, sessions: readonly UsageSession[], individualType: (id: string) => string | null): Omit<PendingJourney, 'steps'> {
  const owned = sessions.find((s) => s.subjectId === subjectId);
  return owned
    ? { subjectId, subjectKind: owned.subjectKind, subjectType: owned.subjectType }
    : { subjectId, subjectKind: 'individual', subjectType: individualType(subjectId) };
}
