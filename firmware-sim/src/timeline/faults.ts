import type { TelemetryPayloadInput } from '@parcours/contracts';
import { pick, rngFor, roundedCount, type Rng } from '../prng.js';
import type { World, WorldDevice } from '../scenario/schema.js';
import { dayMs, seqOf, seqSlot } from './time.js';
import type { FaultKind, TimelineMessage } from './types.js';

/** Metrics of a real device at an instant, so that a faulty payload looks like its neighbours. */
export type MetricsAt = (device: WorldDevice, ts: number) => TelemetryPayloadInput['metrics'];

/** Ids that are not in the world, used by unknown-device faults (a small fixed pool: few broker clients). */
export function unknownDeviceIds(world: World): string[] {
  const taken = new Set(world.devices.map((d) => d.id));
  return [1, 2, 3].map((n) => {
    let id = `unknown-device-${n}`;
    while (taken.has(id)) id = `x-${id}`;
    return id;
  });
}

/** Payloads that parse as JSON but break the telemetry schema, one way each. */
const wrongTypes: ((valid: TelemetryPayloadInput) => object)[] = [
  (valid) => ({ ...valid, seq: 'abc' }),
  (valid) => ({ ...valid, metrics: Object.fromEntries(Object.entries(valid.metrics).map(([k, v]) => [k, String(v)])) }),
  (valid) => ({ ...valid, ts: 'yesterday' }),
];

function faultPayload(kind: FaultKind, device: WorldDevice | null, rng: Rng, ts: number, metricsAt: MetricsAt): string {
  const seq = seqOf(ts, seqSlot.fault);
  if (device === null) return JSON.stringify({ ts, seq, metrics: { power_w: Math.round(rng() * 1000) / 10 } } satisfies TelemetryPayloadInput);
  const valid: TelemetryPayloadInput = { ts, seq, metrics: metricsAt(device, ts) };
  const text = JSON.stringify(valid);
  // Any strict prefix of a JSON object is invalid JSON: the closing brace is missing.
  if (kind === 'bad_json') return text.slice(0, 1 + Math.floor(rng() * (text.length - 1)));
  return JSON.stringify(pick(rng, wrongTypes)(valid));
}

/** The faults of one UTC day over the whole fleet, at the scenario's rates; a pure function of (seed, day). */
export function faultsOfDay(world: World, seed: number, day: number, metricsAt: MetricsAt): TimelineMessage[] {
  if (world.devices.length === 0) return [];
  const rng = rngFor(seed, 'faults', day);
  const unknownIds = unknownDeviceIds(world);
  const rates: [FaultKind, number][] = [
    ['bad_json', world.faults.malformedJsonPerDay],
    ['wrong_types', world.faults.wrongTypesPerDay],
    ['unknown_device', world.faults.unknownDevicePerDay],
  ];
  const dayStart = day * dayMs;
  const used = new Set<string>();
  const messages: TimelineMessage[] = [];
  for (const [kind, rate] of rates) {
    const count = roundedCount(rng, rate);
    for (let i = 0; i < count; i++) {
      let ts = dayStart + Math.floor(rng() * dayMs);
      const device = kind === 'unknown_device' ? null : pick(rng, world.devices);
      const deviceId = device?.id ?? pick(rng, unknownIds);
      // One fault per device and ms keeps (deviceId, seq) unique; move a rare collision a ms earlier.
      while (used.has(`${deviceId}|${ts}`)) ts = ts === dayStart ? dayStart + dayMs - 1 : ts - 1;
      used.add(`${deviceId}|${ts}`);
      const payload = faultPayload(kind, device, rng, ts, metricsAt);
      messages.push({ deviceId, channel: 'telemetry', ts, seq: seqOf(ts, seqSlot.fault), payload, fault: kind });
    }
  }
  return messages;
}
