import type { LogRecord } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { SessionBuilder } from '../../src/sessions/session-builder.js';
import { logRecord } from './log-records.js';

const minute = 60_000;
const rules = { idleTimeoutMs: 30 * minute, maxLengthMs: 24 * 60 * minute, types: {} };
function event(deviceId: string, type: string, ts: number, actor: string | null = null): LogRecord {
  return logRecord(deviceId, ts, { subjectId: 'office', subjectType: 'workplace', actor, actorHint: actor, type });
}

describe('SessionBuilder', () => {
  it('closes a session at usage.stop with its events and actor', () => {
    const builder = new SessionBuilder(rules);
    const closed = builder.apply([event('cm', 'usage.start', 0, 'ana'), event('cm', 'interaction', minute), event('cm', 'usage.stop', 3 * minute)]);
    expect(closed).toEqual([
      expect.objectContaining({
        id: 'cm@0',
        deviceId: 'cm',
        subjectId: 'office',
        actor: 'ana',
        start: 0,
        end: 3 * minute,
        durationS: 180,
        events: 3,
        closedBy: 'stop',
      }),
    ]);
    expect(builder.openSessions()).toEqual([]);
  });

  it('closes an idle session at its last event when time moves on', () => {
    const builder = new SessionBuilder(rules);
    expect(builder.apply([event('cm', 'usage.start', 0), event('cm', 'interaction', 5 * minute)])).toEqual([]);
    expect(builder.advance(20 * minute)).toEqual([]);
    expect(builder.advance(36 * minute)).toEqual([expect.objectContaining({ end: 5 * minute, closedBy: 'idle_timeout' })]);
  });

  it('keeps a session open while the device reports telemetry, and ends it at the last report once silent', () => {
    const builder = new SessionBuilder(rules);
    builder.apply([event('tv', 'usage.start', 0)]);
    const telemetry = (ts: number): LogRecord => ({ ...event('tv', 'usage.start', ts), channel: 'telemetry', type: null, metrics: { on: true } });
    expect(builder.apply([telemetry(25 * minute), telemetry(50 * minute), telemetry(75 * minute)])).toEqual([]);
    expect(builder.advance(100 * minute)).toEqual([]);
    expect(builder.advance(106 * minute)).toEqual([expect.objectContaining({ deviceId: 'tv', end: 75 * minute, events: 1, closedBy: 'idle_timeout' })]);
  });

  it('cuts a session at the maximum length', () => {
    const builder = new SessionBuilder({ idleTimeoutMs: 60 * minute, maxLengthMs: 90 * minute, types: {} });
    builder.apply([event('cm', 'usage.start', 0), event('cm', 'interaction', 50 * minute)]);
    expect(builder.apply([event('cm', 'interaction', 100 * minute)])).toEqual([expect.objectContaining({ end: 90 * minute, closedBy: 'max_length' })]);
  });

  it('closes the open session when a new one starts without a stop, and keeps devices apart', () => {
    const builder = new SessionBuilder(rules);
    const closed = builder.apply([
      event('cm', 'usage.start', 0),
      event('tv', 'usage.start', minute),
      event('cm', 'usage.start', 10 * minute),
      event('tv', 'usage.stop', 11 * minute),
    ]);
    expect(closed.map((s) => [s.deviceId, s.start, s.end, s.closedBy])).toEqual([
      ['cm', 0, 0, 'idle_timeout'],
      ['tv', minute, 11 * minute, 'stop'],
    ]);
  });

  it('restores open sessions from plain data', () => {
    const first = new SessionBuilder(rules);
    first.apply([event('cm', 'usage.start', 0)]);
    const second = new SessionBuilder(rules, structuredClone(first.openSessions()));
    expect(second.apply([event('cm', 'usage.stop', 2 * minute)])).toEqual([expect.objectContaining({ start: 0, end: 2 * minute, closedBy: 'stop' })]);
  });

  describe('late records', () => {
    it('sets aside a record older than its device has already reached, with the earliest such time', () => {
      const builder = new SessionBuilder(rules);
      builder.apply([event('cm', 'usage.start', 10 * minute), event('cm', 'interaction', 12 * minute)]);
      expect(builder.apply([event('cm', 'usage.stop', 11 * minute), event('cm', 'interaction', 9 * minute), event('tv', 'usage.start', 0)])).toEqual([]);
      expect(builder.takeLate()).toEqual(new Map([['cm', 9 * minute]]));
      expect(builder.takeLate()).toEqual(new Map());
      expect(builder.openSessions().find((s) => s.deviceId === 'cm')).toMatchObject({ lastSeen: 12 * minute, events: 2 });
    });

    it('counts as late a record within the idle timeout of a session the watermark closed, not one after it', () => {
      const builder = new SessionBuilder(rules);
      builder.apply([event('cm', 'usage.start', 0)]);
      expect(builder.advance(31 * minute + 1)).toHaveLength(1);
      builder.apply([event('cm', 'usage.stop', 30 * minute)]);
      expect(builder.takeLate()).toEqual(new Map([['cm', 30 * minute]]));
      builder.apply([event('cm', 'usage.start', 30 * minute + 1)]);
      expect(builder.takeLate()).toEqual(new Map());
      expect(builder.movedFrontiers()).toEqual([['cm', 30 * minute + 1]]);
    });

    it('takes a re-derived device state as it is, frontier included', () => {
      const builder = new SessionBuilder(rules);
      builder.apply([event('cm', 'usage.start', 50 * minute)]);
      const rebuilt = new SessionBuilder(rules);
      rebuilt.apply([event('cm', 'usage.start', 20 * minute), event('cm', 'interaction', 40 * minute)]);
      builder.replaceDevice('cm', rebuilt.openSession('cm'), rebuilt.frontierOf('cm'));
      expect(builder.frontierOf('cm')).toBe(40 * minute);
      expect(builder.openSessions()).toEqual([expect.objectContaining({ start: 20 * minute, events: 2 })]);
    });
  });
});
