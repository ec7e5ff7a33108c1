import { measurements, servedJourneySchema, noneTag, subjectTopic, tags, type Journey } from '@parcours/contracts';
import type { InfluxPoint } from '@parcours/gateway';

/** The `journey` point: keyed by the subject's tags and the start time, so a re-derivation overwrites it. */
export function journeyPoint(journey: Journey): InfluxPoint {
  return {
    measurement: measurements.journey,
    tags: { [tags.subject]: journey.subjectId, [tags.subjectType]: journey.subjectType ?? noneTag },
    fields: { duration_s: journey.durationS, path: journey.path },
    intFields: { steps: journey.steps },
    timestampMs: journey.start,
  };
}

/** The MQTT message for integrators: the API's JSON, on `subjects/{id}/journeys`. */
export function journeyMessage(baseTopic: string, journey: Journey): { topic: string; payload: string } {
  return {
    topic: subjectTopic(baseTopic, journey.subjectId, 'journeys'),
    payload: JSON.stringify(servedJourneySchema.encode({ ...journey, status: 'closed', closesBy: null })),
  };
}
