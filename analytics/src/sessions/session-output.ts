import {
  attributedCollectives,
  measurements,
  noneTag,
  servedSessionSchema,
  subjectTopic,
  tags,
  type ServedSession,
  type UsageSession,
} from '@parcours/contracts';
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

/** The registry's collectives of an individual at t. */
export type CollectivesAt = (individualId: string, t: number) => string[];

/** What announcing sessions needs besides them: the root of the topics, and the registry for their collectives. */
export interface SessionAnnouncing {
  baseTopic: string;
  collectivesAt: CollectivesAt;
}

/** A closed session as the API serves it and integrators receive it: with its status and its collectives as of its start. */
export function servedClosedSession(session: UsageSession, collectivesAt: CollectivesAt): ServedSession {
  return { ...session, status: 'closed', closesBy: null, collectives: attributedCollectives(session, session.start, collectivesAt) };
}

/** The MQTT message for integrators: the API's JSON, on `subjects/{id}/sessions` of the subject and of the actor. */
export function sessionMessages(announcing: SessionAnnouncing, session: UsageSession): { topic: string; payload: string }[] {
  const payload = JSON.stringify(servedSessionSchema.encode(servedClosedSession(session, announcing.collectivesAt)));
  return sessionAudience(session).map((id) => ({ topic: subjectTopic(announcing.baseTopic, id, 'sessions'), payload }));
}
