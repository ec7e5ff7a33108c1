import { errorCodes, telemetryPayloadSchema } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { generateTimeline, parseScenario } from '../../firmware-sim/src/index.js';
import { small } from '../../firmware-sim/src/scenarios/small.js';
import { faultsOfDay } from '../../firmware-sim/src/timeline/faults.js';
import { applyConnectivity } from '../../firmware-sim/src/timeline/offline.js';
import { dayOf } from '../../firmware-sim/src/timeline/time.js';

const day = 86_400_000;
const monday = Date.UTC(2025, 5, 2);
const days = 2000;

/** Every fault on, at rates with fractions (the rounded daily count then varies). */
const rates = {
  malformedJsonPerDay: 2.5,
  wrongTypesPerDay: 1.25,
  unknownFieldsPerDay: 3.4,
  oversizePerDay: 0.7,
  unknownDevicePerDay: 1.5,
  duplicatePerDay: 2.2,
  redeliveryPerDay: 1.6,
  clockSkewPerDay: 0.9,
  clockStuckPerDay: 0.3,
  topicMismatchPerDay: 1.1,
  offlinePerDevicePerDay: 0.4,
  reconnectStormsPerDay: 0.2,
  stormFraction: 0.5,
};
const world = parseScenario({ ...small, faults: rates });
const metrics = () => ({ power_w: 12.5 });
const firstDay = dayOf(monday);
const messages = Array.from({ length: days }, (_, i) => faultsOfDay(world, 3, firstDay + i, metrics)).flat();
const connectivity = applyConnectivity(world, 3, [], monday, monday + days * day);
const count = (kind: string) => messages.filter((m) => m.fault === kind).length;

/**
 * A fleet rate r per day is floor(r), plus one with probability frac(r): over n days the total has mean
 * n·r and variance n·p(1−p). Five standard deviations (and one for rounding) fail a correct
 * generator about once in 3.5 million runs, and a wrong rate by 5% fails at these spans.
 */
function expectFleetRate(actual: number, rate: number): void {
  const p = rate - Math.floor(rate);
  expect(Math.abs(actual - days * rate)).toBeLessThanOrEqual(5 * Math.sqrt(days * p * (1 - p)) + 1);
}

describe('fault rates over a long simulated span (timeline only)', () => {
  it.each([
    ['bad_json', rates.malformedJsonPerDay],
    ['wrong_types', rates.wrongTypesPerDay],
    ['unknown_fields', rates.unknownFieldsPerDay],
    ['oversize', rates.oversizePerDay],
    ['unknown_device', rates.unknownDevicePerDay],
    ['duplicate', rates.duplicatePerDay],
    ['redelivery', rates.redeliveryPerDay],
    ['clock_skew', rates.clockSkewPerDay],
    ['clock_stuck', rates.clockStuckPerDay],
    ['topic_mismatch', rates.topicMismatchPerDay],
  ])('%s occurs at %f per day', (kind, rate) => {
    expectFleetRate(count(kind), rate);
  });

  it('takes a device offline at its Poisson rate, for durations within the configured range', () => {
    const offline = connectivity.periods.filter((p) => p.kind === 'offline');
    // Poisson over devices × days: variance equals the mean.
    const mean = rates.offlinePerDevicePerDay * world.devices.length * days;
    expect(Math.abs(offline.length - mean)).toBeLessThanOrEqual(5 * Math.sqrt(mean));
    for (const p of offline) {
      expect(p.endMs - p.startMs).toBeGreaterThanOrEqual(world.faults.offlineDuration.min);
      expect(p.endMs - p.startMs).toBeLessThanOrEqual(world.faults.offlineDuration.max);
    }
  });

  it('runs reconnect storms at their rate, each dropping its share of the fleet at once', () => {
    const storms = new Map<number, typeof connectivity.periods>();
    for (const p of connectivity.periods.filter((q) => q.kind === 'reconnect_storm')) storms.set(p.startMs, [...(storms.get(p.startMs) ?? []), p]);
    expectFleetRate(storms.size, rates.reconnectStormsPerDay);
    for (const dropped of storms.values()) {
      expect(new Set(dropped.map((p) => p.deviceId)).size).toBe(Math.round(rates.stormFraction * world.devices.length));
      expect(Math.max(...dropped.map((p) => p.endMs)) - Math.min(...dropped.map((p) => p.startMs))).toBeLessThanOrEqual(10_000);
    }
  });
});

describe('fault messages', () => {
  const known = new Set(world.devices.map((d) => d.id));
  const of = (kind: string) => messages.filter((m) => m.fault === kind);
  const tsOf = (payload: string) => (JSON.parse(payload) as { ts: number }).ts;

  it('resend the same (device, seq) after the original: a plain duplicate, or a QoS 1 redelivery after a reconnect', () => {
    const originals = new Map(messages.filter((m) => !m.fault).map((m) => [`${m.deviceId}|${m.seq}`, m]));
    for (const kind of ['duplicate', 'redelivery']) {
      for (const resend of of(kind)) {
        const original = originals.get(`${resend.deviceId}|${resend.seq}`)!;
        expect(resend.payload).toBe(original.payload);
        expect(resend.sendAt).toBeGreaterThan(original.ts);
        expect(resend.redelivery === true).toBe(kind === 'redelivery');
      }
    }
  });

  it('break the contract the way their kind says', () => {
    for (const m of of('unknown_fields')) {
      const issues = telemetryPayloadSchema.safeParse(JSON.parse(m.payload)).error!.issues;
      expect(issues.map((i) => i.code)).toEqual(['unrecognized_keys']);
    }
    for (const m of of('oversize')) expect(Buffer.byteLength(m.payload)).toBe(world.faults.oversizeBytes);
    for (const m of of('clock_skew')) expect(tsOf(m.payload) - m.ts).toBe(day);
    for (const m of of('clock_stuck')) expect(new Date(tsOf(m.payload)).getUTCFullYear()).toBe(1971);
    for (const m of of('topic_mismatch')) {
      expect(known.has(m.publisher!) && known.has(m.deviceId) && m.publisher !== m.deviceId).toBe(true);
      expect(telemetryPayloadSchema.safeParse(JSON.parse(m.payload)).success).toBe(true);
    }
  });
});

describe('ground truth of faults', () => {
  const window = generateTimeline(world, 7, monday, monday + 3 * day);

  it('records every fault with what the gateway should do', () => {
    const truth = window.groundTruth.faults;
    expect(new Set(truth.map((f) => f.kind)).size).toBeGreaterThanOrEqual(10);
    expect(truth.filter((f) => f.kind === 'oversize').every((f) => f.outcome === 'quarantined' && f.reason === errorCodes.oversize)).toBe(true);
    expect(truth.filter((f) => f.kind === 'duplicate').every((f) => f.outcome === 'duplicate')).toBe(true);
    const mismatch = truth.filter((f) => f.kind === 'topic_mismatch');
    expect(mismatch.every((f) => f.reason === errorCodes.topicMismatch && f.topicDeviceId !== null && f.topicDeviceId !== f.deviceId)).toBe(true);
    // Clock faults are stored (corrected), so they count among the valid messages too.
    const stored = window.messages.filter((m) => !m.fault || m.fault === 'clock_skew' || m.fault === 'clock_stuck').length;
    expect(window.groundTruth.validMessages.telemetry + window.groundTruth.validMessages.events).toBe(stored);
  });

  it('delays what a device sends while offline to its reconnect, with the original ts and seq', () => {
    // Periods that started before the window may still hold its first messages back.
    const periods = applyConnectivity(world, 7, [], monday - 2 * day, monday + 3 * day).periods;
    const delayed = window.messages.filter((m) => m.sendAt !== undefined && !m.fault);
    expect(delayed.length).toBeGreaterThan(0);
    for (const m of delayed) {
      const period = periods.find((p) => p.deviceId === m.deviceId && p.startMs <= m.ts && m.ts < p.endMs);
      expect(period, `${m.deviceId} ${m.ts}`).toBeDefined();
      expect(m.sendAt).toBeGreaterThanOrEqual(period!.endMs);
      expect(JSON.parse(m.payload)).toMatchObject({ ts: m.ts, seq: m.seq });
    }
    const sendTimes = window.messages.map((m) => m.sendAt ?? m.ts);
    expect(sendTimes).toEqual([...sendTimes].sort((a, b) => a - b));
  });

  it('is the same for a seed whatever the windows, and differs for another seed', () => {
    const split = [generateTimeline(world, 7, monday, monday + day + 3_600_123), generateTimeline(world, 7, monday + day + 3_600_123, monday + 3 * day)];
    const key = (m: { deviceId: string; seq: number; fault?: string; sendAt?: number }) => `${m.deviceId}|${m.seq}|${m.fault ?? ''}|${m.sendAt ?? ''}`;
    expect(split.flatMap((t) => t.messages.map(key)).sort()).toEqual(window.messages.map(key).sort());
    expect(split.flatMap((t) => t.connectivity)).toEqual(window.connectivity);
    const faultKey = (f: { kind: string; deviceId: string; ts: number }) => `${f.kind}|${f.deviceId}|${f.ts}`;
    expect(split.flatMap((t) => t.groundTruth.faults.map(faultKey)).sort()).toEqual(window.groundTruth.faults.map(faultKey).sort());
    expect(generateTimeline(world, 7, monday, monday + 3 * day).groundTruth).toEqual(window.groundTruth);
    expect(generateTimeline(world, 8, monday, monday + 3 * day).groundTruth.faults).not.toEqual(window.groundTruth.faults);
  });
});
