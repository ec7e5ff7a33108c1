import { measurements, noneTag, subjectTopic, tags, usageSessionSchema, type UsageSession } from '@parcours/contracts';
import type { InfluxPoint } from '@parcours/gateway';

/** The `usage_session` point: keyed by device tags and the start time, so a re-derivation overwrites it. */
export function sessionPoint(session: UsageSession): InfluxPoint {
  return {
    measurement: measurements.usageSession,
    tags: {
      [tags.device]: session.deviceId,
      [tags.deviceType]: session.deviceType,
      [tags.subject]: session.subjectId ?? noneTag,
      [tags.subjectType]: session.subjectType ?? noneTag,
    },
    fields: {
      duration_s: session.durationS,
      actor: session.actor ?? '',
      inferred_actor: session.inferredActor ?? '',
      ...(session.inferenceConfidence === null ? {} : { inference_confidence: session.inferenceConfidence }),
    },
    intFields: { events: session.events },
    timestampMs: session.start,
  };
}

/** The subjects told of a session: its subject and its reported actor. */
export function sessionAudience(session: Pick<UsageSession, 'subjectId' | 'actor'>): string[] {
  return [...new Set([session.subjectId, session.actor].filter((id): id is string => id !== null))];
}

/** The MQTT message for integrators: the API's JSON, on `subjects/{id}/sessions` of the subject and of the actor. */
export function sessionMessages(baseTopic: string, session: UsageSession): { topic: string; payload: string }[] {
  const payload = JSON.stringify(usageSessionSchema.encode(session));
  return sessionAudience(session).map((id) => ({ topic: subjectTopic(baseTopic, id, 'sessions'), payload }));
}
