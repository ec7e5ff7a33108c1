import type { Funnel, LogReader } from '@parcours/contracts';
import type { SessionStore } from '../sessions/session-store.js';
import { stepKey, type Occurrence } from './funnel-counter.js';

/**
 * What the subjects of the funnel's kind did that its steps may match, in `[from, to)`: the starts of
 * the sessions counted for them (of the steps' device types) and the events attributed to them (of the
 * steps' event types: the subject's own, or for an individual those naming it as actor).
 */
export function funnelOccurrences(sessions: SessionStore, log: LogReader, funnel: Funnel, from: number, to: number): Occurrence[] {
  const deviceTypes = funnel.steps.flatMap((s) => (s.deviceType === undefined ? [] : [s.deviceType]));
  const eventTypes = funnel.steps.flatMap((s) => (s.eventType === undefined ? [] : [s.eventType]));
  const occurrences: Occurrence[] = [];
  if (deviceTypes.length > 0) {
    for (const s of sessions.countedStarts(funnel.countBy, deviceTypes, from, to)) {
      occurrences.push({ subjectId: s.subjectId, ts: s.start, key: stepKey({ deviceType: s.deviceType }) });
    }
  }
  if (eventTypes.length > 0) {
    for (const e of log.listOfTypes(eventTypes, from, to)) {
      const key = stepKey({ eventType: e.type });
      const owner = e.subjectKind === funnel.countBy ? e.subjectId : null;
      if (owner !== null) occurrences.push({ subjectId: owner, ts: e.ts, key });
      if (funnel.countBy === 'individual' && e.actor !== null && e.actor !== owner) occurrences.push({ subjectId: e.actor, ts: e.ts, key });
    }
  }
  return occurrences;
}
