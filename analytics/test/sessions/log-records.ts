import type { LogRecord } from '@parcours/contracts';

let offset = 0;

/** A stored record of a household's device, numbered in the order made: a trusted clock, no actor, no type, no metrics, unless `fields` says otherwise. */
export function logRecord(deviceId: string, ts: number, fields: Partial<LogRecord> = {}): LogRecord {
  offset += 1;
  return {
    offset,
    deviceId,
    seq: offset,
    channel: 'events',
    ts,
    receivedAt: ts,
    deviceType: 'coffee_machine',
    subjectId: 'home',
    subjectKind: 'collective',
    subjectType: 'household',
    actor: null,
    actorRejected: false,
    actorHint: null,
    deviceTs: null,
    type: null,
    metrics: null,
    attrs: null,
    ...fields,
  };
}
