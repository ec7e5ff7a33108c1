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

  it('closes a silent session at its last message even when time comes back past its maximum length', () => {
    const builder = new SessionBuilder(rules);
    builder.apply([event('cm', 'usage.start', 0)]);
    expect(builder.advance(31 * 60 * minute)).toEqual([expect.objectContaining({ end: 0, closedBy: 'idle_timeout' })]);
  });

  describe('a stop after the idle timeout', () => {
    it('closes the session its start opened, once, when it comes within the maximum length', () => {
      const builder = new SessionBuilder(rules);
      const closed = builder.apply([event('wm', 'usage.start', 0, 'ana'), event('wm', 'usage.stop', 90 * minute)]);
      expect(closed).toEqual([expect.objectContaining({ id: 'wm@0', end: 90 * minute, events: 2, actor: 'ana', closedBy: 'stop' })]);
      expect(builder.takeUnmatchedStops()).toEqual([]);
      expect(builder.takeLate(), 'no version went out to replace').toEqual(new Map());
    });

    it('replaces the version the watermark closed: the device is to be re-derived from its start', () => {
      const builder = new SessionBuilder(rules);
      builder.apply([event('wm', 'usage.start', 10 * minute)]);
      expect(builder.advance(3 * 60 * minute)).toEqual([expect.objectContaining({ id: `wm@${10 * minute}`, end: 10 * minute, closedBy: 'idle_timeout' })]);
      expect(builder.takeLate()).toEqual(new Map());
      expect(builder.apply([event('wm', 'usage.stop', 100 * minute)])).toEqual([
        expect.objectContaining({ id: `wm@${10 * minute}`, end: 100 * minute, closedBy: 'stop' }),
      ]);
      expect(builder.takeLate()).toEqual(new Map([['wm', 10 * minute]]));
    });

    it('closes nothing past the maximum length, after another start, or with no session at all: set aside', () => {
      const builder = new SessionBuilder({ ...rules, maxLengthMs: 6 * 60 * minute });
      const stops = [event('late', 'usage.stop', 7 * 60 * minute), event('restarted', 'usage.stop', 90 * minute), event('stray', 'usage.stop', 0)];
      const closed = builder.apply([
        event('late', 'usage.start', 0),
        stops[0]!,
        event('restarted', 'usage.start', 0),
        event('restarted', 'usage.start', 60 * minute),
        event('restarted', 'usage.stop', 61 * minute),
        stops[1]!,
        stops[2]!,
      ]);
      expect(closed.map((s) => [s.deviceId, s.start, s.end, s.closedBy])).toEqual([
        ['late', 0, 0, 'idle_timeout'],
        ['restarted', 0, 0, 'idle_timeout'],
        ['restarted', 60 * minute, 61 * minute, 'stop'],
      ]);
      expect(builder.takeUnmatchedStops()).toEqual(stops);
      expect(builder.takeUnmatchedStops()).toEqual([]);
    });

    it('is still closed by its stop after a restart: the builder keeps what it needs in the device state', () => {
      const first = new SessionBuilder(rules);
      first.apply([event('wm', 'usage.start', 0)]);
      first.advance(3 * 60 * minute);
      const second = new SessionBuilder(rules, [], structuredClone(first.movedDevices()));
      expect(second.apply([event('wm', 'usage.stop', 90 * minute)])).toEqual([expect.objectContaining({ end: 90 * minute, closedBy: 'stop' })]);
    });
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
      expect(builder.movedDevices()).toEqual([{ deviceId: 'cm', frontier: 30 * minute + 1 }]);
    });

    it('takes a re-derived device state as it is, frontier included', () => {
      const builder = new SessionBuilder(rules);
      builder.apply([event('cm', 'usage.start', 50 * minute)]);
      const rebuilt = new SessionBuilder(rules);
      rebuilt.apply([event('cm', 'usage.start', 20 * minute), event('cm', 'interaction', 40 * minute)]);
      builder.replaceDevice(rebuilt.openSession('cm'), rebuilt.deviceState('cm'));
      expect(builder.frontierOf('cm')).toBe(40 * minute);
      expect(builder.openSessions()).toEqual([expect.objectContaining({ start: 20 * minute, events: 2 })]);
    });
  });
});
