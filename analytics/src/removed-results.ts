import { removedResultSchema, subjectTopic, type Journey, type RemovedResult, type UsageSession } from '@parcours/contracts';
import type { OutboxMessage } from './outbox/outbox.js';

interface Result {
  id: string;
  start: number;
  end: number;
}

/**
 * The results of `before` that a re-derivation left without a successor of the same id (and that are not
 * still open, to close again under it), each with the ids of `after` overlapping its time in its scope.
 */
export function removedResults<T extends Result>(before: readonly T[], after: readonly T[], stillOpen: ReadonlySet<string>, sameScope: (a: T, b: T) => boolean): { removed: T; replacedBy: string[] }[] {
  const kept = new Set(after.map((r) => r.id));
  return before
    .filter((r) => !kept.has(r.id) && !stillOpen.has(r.id))
    .map((removed) => ({ removed, replacedBy: after.filter((r) => sameScope(r, removed) && r.start <= removed.end && r.end >= removed.start).map((r) => r.id) }));
}

const payload = (result: RemovedResult) => JSON.stringify(removedResultSchema.encode(result));

/** A removed session, on `subjects/{id}/sessions/removed` of its subject and of its actor (where it was published). */
export function sessionRemovalMessages(baseTopic: string, removed: UsageSession, replacedBy: string[]): OutboxMessage[] {
  const subjects = [...new Set([removed.subjectId, removed.actor].filter((id): id is string => id !== null))];
  return subjects.map((id) => ({ topic: subjectTopic(baseTopic, id, 'sessions/removed'), payload: payload({ kind: 'session', id: removed.id, replacedBy }) }));
}

/** A removed journey, on `subjects/{id}/journeys/removed`. */
export function journeyRemovalMessage(baseTopic: string, removed: Journey, replacedBy: string[]): OutboxMessage {
  return { topic: subjectTopic(baseTopic, removed.subjectId, 'journeys/removed'), payload: payload({ kind: 'journey', id: removed.id, replacedBy }) };
}
