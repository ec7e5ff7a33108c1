import { eventPayloadSchema, telemetryPayloadSchema } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { generateTimeline, loadScenario, parseScenario, unknownDeviceIds } from '../../src/index.js';
import { small } from '../../src/scenarios/small.js';

const day = 86_400_000;
const monday = Date.UTC(2025, 5, 2);

describe('fault injection', () => {
  const rates = { malformedJsonPerDay: 6.5, wrongTypesPerDay: 4.25, unknownDevicePerDay: 2 };
  const world = parseScenario({ ...small, faults: rates });
  const timeline = generateTimeline(world, 9, monday, monday + 20 * day);
  const faults = timeline.messages.filter((m) => m.fault);
  const count = (kind: string) => faults.filter((m) => m.fault === kind).length;

  it('injects each kind at its rate per simulated day', () => {
    // The count per day is the integer part plus one with the probability of the fraction.
    expect(count('bad_json')).toBeGreaterThanOrEqual(20 * 6);
    expect(count('bad_json')).toBeLessThanOrEqual(20 * 7);
    expect(count('wrong_types')).toBeGreaterThanOrEqual(20 * 4);
    expect(count('wrong_types')).toBeLessThanOrEqual(20 * 5);
    expect(count('unknown_device')).toBe(20 * 2);
    expect(timeline.groundTruth.faults.map((f) => f.kind).sort()).toEqual(faults.map((m) => m.fault).sort());
  });

  it('flags payloads that fail the way they claim to', () => {
    const known = new Set(world.devices.map((d) => d.id));
    for (const message of faults) {
      if (message.fault === 'bad_json') expect(() => JSON.parse(message.payload)).toThrow(SyntaxError);
      if (message.fault === 'wrong_types') {
        const data: unknown = JSON.parse(message.payload);
        expect(telemetryPayloadSchema.safeParse(data).success).toBe(false);
        expect(eventPayloadSchema.safeParse(data).success).toBe(false);
      }
      if (message.fault === 'unknown_device') {
        expect(known.has(message.deviceId)).toBe(false);
        expect(unknownDeviceIds(world)).toContain(message.deviceId);
        expect(telemetryPayloadSchema.safeParse(JSON.parse(message.payload)).success).toBe(true);
      } else {
        expect(known.has(message.deviceId)).toBe(true);
      }
    }
  });

  it('is deterministic per day, whatever the window', () => {
    const third = generateTimeline(world, 9, monday + 3 * day + 5_000_000, monday + 4 * day);
    expect(third.messages.filter((m) => m.fault)).toEqual(faults.filter((m) => m.ts >= monday + 3 * day + 5_000_000 && m.ts < monday + 4 * day));
  });

  it('injects nothing at zero rates', async () => {
    const quiet = parseScenario({ ...small, faults: {} });
    expect(generateTimeline(quiet, 9, monday, monday + 3 * day).groundTruth.faults).toEqual([]);
    expect((await loadScenario('small')).faults.malformedJsonPerDay).toBeGreaterThan(0);
  });
});
