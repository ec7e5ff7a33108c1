import type { LogRecord } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { ActorInference } from '../../src/sessions/actor-inference.js';
import { deriveStep } from '../../src/sessions/derivation-step.js';
import { SessionBuilder } from '../../src/sessions/session-builder.js';
import { logRecord } from './log-records.js';

const minute = 60_000;
const rules = { idleTimeoutMs: 30 * minute, maxLengthMs: 24 * 60 * minute, types: {} };
const record = (deviceId: string, ts: number, fields: Partial<LogRecord> = {}) => logRecord(deviceId, ts, { deviceType: 'tv', type: 'interaction', ...fields });

const start = (deviceId: string, ts: number) => record(deviceId, ts, { type: 'usage.start' });
/** A message whose clock the gateway corrected: stamped with the receive time, its own time in `deviceTs`. */
const corrected = (deviceId: string, ts: number) => record(deviceId, ts, { deviceTs: 0 });
const personal = (individual: string, ts: number) =>
  record(`${individual}-phone`, ts, { deviceType: 'phone', subjectId: individual, subjectKind: 'individual', subjectType: 'person' });

describe('deriveStep', () => {
  it('moves the watermark with trusted clocks only, and closes what it makes idle', () => {
    const builder = new SessionBuilder(rules);
    let step = deriveStep(builder, null, [start('tv', 0), corrected('meter', 120 * minute)], Number.NEGATIVE_INFINITY);
    expect(step).toEqual({ closed: [], watermark: 0 });
    step = deriveStep(builder, null, [record('meter', 31 * minute)], step.watermark);
    expect(step.watermark).toBe(31 * minute);
    expect(step.closed).toEqual([expect.objectContaining({ id: 'tv@0', end: 0, closedBy: 'idle_timeout' })]);
  });

  it('never moves the watermark back', () => {
    expect(deriveStep(new SessionBuilder(rules), null, [record('meter', minute)], 5 * minute).watermark).toBe(5 * minute);
  });

  it('applies only the records given as applied, while all of them move the watermark', () => {
    const builder = new SessionBuilder(rules);
    const records = [start('tv', 0), start('radio', 0), record('meter', 40 * minute)];
    const step = deriveStep(builder, null, records, Number.NEGATIVE_INFINITY, { applied: records.filter((r) => r.deviceId === 'radio') });
    expect(step.closed.map((s) => s.id)).toEqual(['radio@0']);
    expect(step.watermark).toBe(40 * minute);
    expect(builder.openSessions()).toEqual([]);
  });

  it('lets the closed sessions be revised at the watermark, then infers the actors of the revised ones', () => {
    const builder = new SessionBuilder(rules);
    const inference = new ActorInference(10 * minute, rules.maxLengthMs, () => ['ana', 'ben']);
    const revisedAt: number[] = [];
    const step = deriveStep(builder, inference, [personal('ana', 0), start('tv', minute), record('tv', 2 * minute, { type: 'usage.stop' })], 0, {
      revise: (closed, watermark) => {
        revisedAt.push(watermark);
        expect(closed.map((s) => s.id)).toEqual([`tv@${minute}`]);
        return [{ ...closed[0]!, id: 'tv@revised' }];
      },
    });
    expect(revisedAt).toEqual([2 * minute]);
    expect(step.closed).toEqual([expect.objectContaining({ id: 'tv@revised', inferredActor: 'ana', end: 2 * minute })]);
  });
});
