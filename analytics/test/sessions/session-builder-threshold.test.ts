import { configSchema, type SessionRulesInput } from '@parcours/contracts';
import type { LogRecord } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { SessionBuilder, sessionRulesFrom, thresholdTypes } from '../../src/sessions/session-builder.js';
import { logRecord } from './log-records.js';

const minute = 60_000;

/** Rules as the configuration gives them: the global limits of the defaults, these per-type rules. */
function rules(sessionRules: SessionRulesInput) {
  return sessionRulesFrom(configSchema.parse({ analytics: { sessionRules } }).analytics);
}

function record(deviceId: string, deviceType: string, ts: number, fields: Partial<LogRecord>): LogRecord {
  return logRecord(deviceId, ts, { channel: 'telemetry', deviceType, ...fields });
}

/** One sample a minute of a washing machine's power, from a list of watts. */
function washer(watts: number[], from = 0, deviceId = 'wm'): LogRecord[] {
  return watts.map((w, i) => record(deviceId, 'washing_machine', from + i * minute, { metrics: { power_w: w } }));
}

const plain = { washing_machine: { threshold: { metric: 'power_w', threshold: 50 } } };

describe('SessionBuilder with telemetry thresholds', () => {
  it('opens at the first sample above the threshold and closes at the first one back below', () => {
    const builder = new SessionBuilder(rules(plain));
    const closed = builder.apply(washer([1, 1, 600, 580, 610, 2, 1]));
    expect(closed).toEqual([
      expect.objectContaining({
        id: 'wm@120000',
        deviceType: 'washing_machine',
        subjectId: 'home',
        start: 2 * minute,
        end: 5 * minute,
        durationS: 180,
        events: 0,
        closedBy: 'threshold',
      }),
    ]);
    expect(builder.openSessions()).toEqual([]);
  });

  it('compares below a threshold too, and reads a boolean as 0 or 1', () => {
    const builder = new SessionBuilder(rules({ tv: { threshold: { metric: 'on', comparison: 'below', threshold: 0.5 } } }));
    const samples = [true, false, false, true].map((on, i) => record('tv1', 'tv', i * minute, { metrics: { on } }));
    expect(builder.apply(samples)).toEqual([expect.objectContaining({ start: minute, end: 3 * minute, closedBy: 'threshold' })]);
  });

  it('stays open inside the hysteresis band', () => {
    const builder = new SessionBuilder(rules({ washing_machine: { threshold: { metric: 'power_w', threshold: 50, hysteresis: 20 } } }));
    // 40 W is below the threshold but above threshold − hysteresis: still on; 20 W closes it.
    expect(builder.apply(washer([600, 40, 45, 600, 20]))).toEqual([expect.objectContaining({ start: 0, end: 4 * minute, closedBy: 'threshold' })]);
  });

  it('bridges off samples shorter than closeAfter and ends at the first off sample of the run that closes it', () => {
    const builder = new SessionBuilder(rules({ washing_machine: { threshold: { metric: 'power_w', threshold: 50, closeAfter: '2m' } } }));
    const closed = builder.apply(washer([600, 0, 600, 0, 0, 600, 0, 0, 0, 600]));
    expect(closed.map((s) => [s.start, s.end])).toEqual([[0, 6 * minute]]);
    expect(builder.openSessions()).toEqual([expect.objectContaining({ start: 9 * minute, source: 'threshold' })]);
  });

  it('drops sessions shorter than minDuration', () => {
    const builder = new SessionBuilder(rules({ washing_machine: { threshold: { metric: 'power_w', threshold: 50, minDuration: '3m' } } }));
    const closed = builder.apply(washer([600, 0, 0, 600, 600, 600, 0]));
    expect(closed.map((s) => [s.start, s.end])).toEqual([[3 * minute, 6 * minute]]);
  });

  it('keeps the latest session dropped as too short, where a re-derivation for records behind the watermark starts', () => {
    const builder = new SessionBuilder(rules({ washing_machine: { threshold: { metric: 'power_w', threshold: 50, minDuration: '5m' } } }));
    builder.apply(washer([1, 600, 600], 0));
    expect(builder.advance(3 * 60 * minute)).toEqual([]);
    expect(builder.deviceState('wm')).toMatchObject({ frontier: 32 * minute + 1, dropped: { start: minute, lastSeen: 2 * minute } });
  });

  it('closes a threshold session of a silent device at its last sample after the idle timeout, per type', () => {
    const builder = new SessionBuilder(rules({ washing_machine: { threshold: { metric: 'power_w', threshold: 50 }, idleTimeout: '10m' } }));
    builder.apply(washer([600, 600]));
    expect(builder.advance(11 * minute)).toEqual([]);
    expect(builder.advance(11 * minute + 1)).toEqual([expect.objectContaining({ start: 0, end: minute, closedBy: 'idle_timeout' })]);
  });

  it("cuts a threshold session at the type's maximum length, and a new one opens while still on", () => {
    const builder = new SessionBuilder(rules({ washing_machine: { threshold: { metric: 'power_w', threshold: 50 }, maxLength: '3m' } }));
    const closed = builder.apply(washer([600, 600, 600, 600, 600, 0]));
    expect(closed.map((s) => [s.start, s.end, s.closedBy])).toEqual([
      [0, 3 * minute, 'max_length'],
      [3 * minute, 5 * minute, 'threshold'],
    ]);
  });

  it('falls back to the global limits for what a type does not say', () => {
    const builder = new SessionBuilder(rules(plain));
    builder.apply(washer([600]));
    expect(builder.advance(30 * minute)).toEqual([]);
    expect(builder.advance(30 * minute + 1)).toEqual([expect.objectContaining({ closedBy: 'idle_timeout' })]);
  });

  it("lets a device's own usage events win over its telemetry, and counts events inside a threshold session", () => {
    const builder = new SessionBuilder(rules(plain));
    const start = record('wm', 'washing_machine', 30_000, { channel: 'events', type: 'usage.start', actor: 'ana' });
    const stop = record('wm', 'washing_machine', 150_000, { channel: 'events', type: 'usage.stop', actor: 'ana' });
    // The threshold session opened by the sample at 0 is replaced by the event session; no threshold
    // session opens while it is open, and the off sample after the stop opens nothing.
    expect(builder.apply([...washer([600]), start, ...washer([600, 600], minute), stop, ...washer([0], 3 * minute)])).toEqual([
      expect.objectContaining({ start: 30_000, end: 150_000, actor: 'ana', events: 2, closedBy: 'stop' }),
    ]);
    const interaction = record('wm', 'washing_machine', 5 * minute + 1, { channel: 'events', type: 'interaction' });
    expect(builder.apply([...washer([600], 5 * minute), interaction, ...washer([0], 6 * minute)])).toEqual([
      expect.objectContaining({ start: 5 * minute, end: 6 * minute, events: 1, closedBy: 'threshold' }),
    ]);
  });

  it('leaves the devices of types without a threshold to their events', () => {
    const builder = new SessionBuilder(rules(plain));
    const printer = [0, 1, 2].map((i) => record('pr', 'printer', i * minute, { metrics: { power_w: 450 } }));
    expect(builder.apply(printer)).toEqual([]);
    expect(builder.openSessions()).toEqual([]);
  });

  it('keeps threshold state through a restore from plain data', () => {
    const first = new SessionBuilder(rules(plain));
    first.apply(washer([600, 600]));
    const second = new SessionBuilder(rules(plain), JSON.parse(JSON.stringify(first.openSessions())));
    expect(second.apply(washer([0], 2 * minute))).toEqual([expect.objectContaining({ start: 0, end: 2 * minute, closedBy: 'threshold' })]);
  });

  it("has built-in rules for the simulator's metered types, replaced as a whole by configured ones", () => {
    expect(thresholdTypes(sessionRulesFrom(configSchema.parse({}).analytics)).sort()).toEqual([
      'activity_tracker',
      'car',
      'coffee_machine',
      'desktop_pc',
      'dishwasher',
      'ebike',
      'ev_charger',
      'game_console',
      'hot_water_tank',
      'kettle',
      'meeting_display',
      'microwave',
      'oven',
      'shower',
      'thermostat',
      'tv',
      'ventilation',
      'washing_machine',
      'water_heater',
    ]);
    expect(thresholdTypes(rules(plain))).toEqual(['washing_machine']);
  });
});
