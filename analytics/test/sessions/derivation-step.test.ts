import type { LogRecord } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { deriveStep } from '../../src/sessions/derivation-step.js';
import { SessionBuilder } from '../../src/sessions/session-builder.js';
import { logRecord } from './log-records.js';

const minute = 60_000;
const rules = { idleTimeoutMs: 30 * minute, maxLengthMs: 24 * 60 * minute, types: {} };
const record = (deviceId: string, ts: number, fields: Partial<LogRecord> = {}) => logRecord(deviceId, ts, { deviceType: 'tv', type: 'interaction', ...fields });

const start = (deviceId: string, ts: number) => record(deviceId, ts, { type: 'usage.start' });
/** A message whose clock the gateway corrected: stamped with the receive time, its own time in `deviceTs`. */
const corrected = (deviceId: string, ts: number) => record(deviceId, ts, { deviceTs: 0 });

describe('deriveStep', () => {
  it('moves the watermark with trusted clocks only, and closes what it makes idle', () => {
    const builder = new SessionBuilder(rules);
    let step = deriveStep(builder, [start('tv', 0), corrected('meter', 120 * minute)], Number.NEGATIVE_INFINITY);
    expect(step).toEqual({ closed: [], watermark: 0 });
    step = deriveStep(builder, [record('meter', 31 * minute)], step.watermark);
    expect(step.watermark).toBe(31 * minute);
    expect(step.closed).toEqual([expect.objectContaining({ id: 'tv@0', end: 0, closedBy: 'idle_timeout' })]);
  });

  it('never moves the watermark back', () => {
    expect(deriveStep(new SessionBuilder(rules), [record('meter', minute)], 5 * minute).watermark).toBe(5 * minute);
  });

  it('applies only the records given as applied, while all of them move the watermark', () => {
    const builder = new SessionBuilder(rules);
    const records = [start('tv', 0), start('radio', 0), record('meter', 40 * minute)];
    const step = deriveStep(builder, records, Number.NEGATIVE_INFINITY, { applied: records.filter((r) => r.deviceId === 'radio') });
    expect(step.closed.map((s) => s.id)).toEqual(['radio@0']);
    expect(step.watermark).toBe(40 * minute);
    expect(builder.openSessions()).toEqual([]);
  });

  it('lets the closed sessions be revised at the watermark', () => {
    const builder = new SessionBuilder(rules);
    const revisedAt: number[] = [];
    const step = deriveStep(builder, [start('tv', minute), record('tv', 2 * minute, { type: 'usage.stop' })], 0, {
      revise: (closed, watermark) => {
        revisedAt.push(watermark);
        expect(closed.map((s) => s.id)).toEqual([`tv@${minute}`]);
        return [{ ...closed[0]!, id: 'tv@revised' }];
      },
    });
    expect(revisedAt).toEqual([2 * minute]);
    expect(step.closed).toEqual([expect.objectContaining({ id: 'tv@revised', end: 2 * minute })]);
  });
});
