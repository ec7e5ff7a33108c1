import type { NewLogRecord } from '@parcours/contracts';

/** A telemetry record with no attribution, its seq as time and metric. */
export function telemetryRecord(seq: number, deviceId = 'meter-1', deviceType = 'meter'): NewLogRecord {
  return {
    deviceId,
    seq,
    channel: 'telemetry',
    ts: seq,
    receivedAt: seq,
    deviceType,
    subjectId: null,
    subjectKind: null,
    subjectType: null,
    actor: null,
    actorRejected: false,
    actorHint: null,
    deviceTs: null,
    type: null,
    metrics: { power_w: seq },
    attrs: null,
  };
}
