import { removedResultSchema, sessionId, subjectTopic, type Journey, type RemovedResult, type UsageSession } from '@parcours/contracts';
import type { DeleteRange } from '@parcours/gateway';
import { journeyMessage, journeyPoint } from './journeys/journey-output.js';
import type { OutboxMessage } from './outbox/outbox.js';
import type { ResultChange } from './output/result-writer.js';
import type { OpenSession } from './sessions/session-builder.js';
import { sessionAudience, sessionMessages, sessionPoint, type SessionAnnouncing } from './sessions/session-output.js';

/**
 * What results replacing earlier ones change in the outputs, in streaming and in batch: their InfluxDB
 * points, and what integrators are told — the new and changed results on their usual topics (one
 * identical to its earlier version is not sent again), and on `…/removed` those left without a successor
 * of the same id, and sessions that left a subject or actor.
 */

interface Result {
  id: string;
  start: number;
  end: number;
}

/**
 * The results of `before` without a successor of the same id in `after` (and not still open, to close
 * again under it), each with the ids of `after` overlapping its time in its scope.
 */
export function removedResults<T extends Result>(
  before: readonly T[],
  after: readonly T[],
  stillOpen: ReadonlySet<string>,
  sameScope: (a: T, b: T) => boolean,
): { removed: T; replacedBy: string[] }[] {
  const kept = new Set(after.map((r) => r.id));
  return before
    .filter((r) => !kept.has(r.id) && !stillOpen.has(r.id))
    .map((removed) => ({
      removed,
      replacedBy: after.filter((r) => sameScope(r, removed) && r.start <= removed.end && r.end >= removed.start).map((r) => r.id),
    }));
}

/** The messages of `after` that are not, identically, in `before`. */
function changedMessages(before: readonly OutboxMessage[], after: readonly OutboxMessage[]): OutboxMessage[] {
  const known = new Set(before.map((m) => `${m.topic}\n${m.payload}`));
  return after.filter((m) => !known.has(`${m.topic}\n${m.payload}`));
}

const removal = (result: RemovedResult) => JSON.stringify(removedResultSchema.encode(result));

/**
 * Sessions of `after` that keep their id but left a subject or actor of their earlier version (a registry
 * correction moved them): removed from there, `replacedBy` their own id, as the new version is published
 * where they now belong. First, so that an integrator of both sides deletes before it receives that version.
 */
function departedSessions(baseTopic: string, before: readonly UsageSession[], after: readonly UsageSession[]): OutboxMessage[] {
  const earlier = new Map(before.map((s) => [s.id, s]));
  return after.flatMap((s) => {
    const was = earlier.get(s.id);
    if (!was) return [];
    const staying = new Set(sessionAudience(s));
    return sessionAudience(was)
      .filter((id) => !staying.has(id))
      .map((id) => ({ topic: subjectTopic(baseTopic, id, 'sessions/removed'), payload: removal({ kind: 'session', id: s.id, replacedBy: [s.id] }) }));
  });
}

/** `after` replacing `before`: sessions on `subjects/{id}/sessions` and `…/sessions/removed` of their subject and actor. */
function sessionUpdates(
  announcing: SessionAnnouncing,
  before: readonly UsageSession[],
  after: readonly UsageSession[],
  reopened: ReadonlySet<string>,
): OutboxMessage[] {
  const changed = changedMessages(
    before.flatMap((s) => sessionMessages(announcing, s)),
    after.flatMap((s) => sessionMessages(announcing, s)),
  );
  const removed = removedResults(before, after, reopened, (a, b) => a.deviceId === b.deviceId).flatMap(({ removed: s, replacedBy }) =>
    sessionAudience(s).map((id) => ({
      topic: subjectTopic(announcing.baseTopic, id, 'sessions/removed'),
      payload: removal({ kind: 'session', id: s.id, replacedBy }),
    })),
  );
  return [...departedSessions(announcing.baseTopic, before, after), ...changed, ...removed];
}

/** `after` replacing `before`: journeys on `subjects/{id}/journeys` and `…/journeys/removed`. */
function journeyUpdates(baseTopic: string, before: readonly Journey[], after: readonly Journey[], pending: ReadonlySet<string>): OutboxMessage[] {
  const changed = changedMessages(
    before.map((j) => journeyMessage(baseTopic, j)),
    after.map((j) => journeyMessage(baseTopic, j)),
  );
  const removed = removedResults(before, after, pending, (a, b) => a.subjectId === b.subjectId).map(({ removed: j, replacedBy }) => ({
    topic: subjectTopic(baseTopic, j.subjectId, 'journeys/removed'),
    payload: removal({ kind: 'journey', id: j.id, replacedBy }),
  }));
  return [...changed, ...removed];
}

/**
 * Sessions `after` replacing `before` and the InfluxDB points in `ranges`. A session of `before` whose id
 * is gone is announced removed unless `open` has it again (it will close under the same id).
 */
export function sessionChange(
  announcing: SessionAnnouncing,
  ranges: readonly DeleteRange[],
  before: readonly UsageSession[],
  after: readonly UsageSession[],
  open: readonly OpenSession[],
): ResultChange {
  const reopened = new Set(open.map((s) => sessionId(s.deviceId, s.start)));
  return { ranges, points: after.map(sessionPoint), messages: sessionUpdates(announcing, before, after, reopened) };
}

/** Journeys `after` replacing `before` and the InfluxDB points in `ranges`; one whose id is `pending` again is not announced removed. */
export function journeyChange(
  baseTopic: string,
  ranges: readonly DeleteRange[],
  before: readonly Journey[],
  after: readonly Journey[],
  pending: ReadonlySet<string>,
): ResultChange {
  return { ranges, points: after.map(journeyPoint), messages: journeyUpdates(baseTopic, before, after, pending) };
}
