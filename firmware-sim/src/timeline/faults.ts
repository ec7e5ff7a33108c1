import type { TelemetryPayloadInput } from '@parcours/contracts';
import { pick, rngFor, roundedCount, type Rng } from '../prng.js';
import type { World, WorldDevice } from '../scenario/schema.js';
import { oversizeJson, stuckClockEpoch, truncatedJson, unknownFieldJson, withClock, wrongTypesJson } from './fault-payloads.js';
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

/** Faults injected as extra messages, drawn per day over the fleet; connection faults are in offline.ts. */
type MessageFault = Exclude<FaultKind, 'offline' | 'reconnect_storm'>;

/** A resend follows its original by up to this long: the device waited for an ack, or its firmware looped. */
const maxResendDelayMs = 30_000;

/** The messages of one fault at `ts`: a valid original first where the fault is a resend of it. */
function faultMessages(
  kind: MessageFault,
  world: World,
  rng: Rng,
  ts: number,
  deviceId: string,
  device: WorldDevice | null,
  metricsAt: MetricsAt,
): TimelineMessage[] {
  const seq = seqOf(ts, seqSlot.fault);
  const message = (payload: string): TimelineMessage => ({ deviceId, channel: 'telemetry', ts, seq, payload, fault: kind });
  if (device === null) return [message(JSON.stringify({ ts, seq, metrics: { power_w: Math.round(rng() * 1000) / 10 } } satisfies TelemetryPayloadInput))];
  const valid: TelemetryPayloadInput = { ts, seq, metrics: metricsAt(device, ts) };
  switch (kind) {
    case 'bad_json':
      return [message(truncatedJson(valid, rng))];
    case 'wrong_types':
      return [message(wrongTypesJson(valid, rng))];
    case 'unknown_fields':
      return [message(unknownFieldJson(valid, rng))];
    case 'oversize':
      return [message(oversizeJson(valid, world.faults.oversizeBytes))];
    case 'unknown_device':
      return [message(JSON.stringify(valid))];
    case 'clock_skew':
      return [message(withClock(valid, ts + world.faults.clockSkewAhead))];
    case 'clock_stuck':
      // The stuck clock counts from its epoch since the last power-up: some time that day.
      return [message(withClock(valid, stuckClockEpoch + (ts % dayMs)))];
    case 'topic_mismatch': {
      const others = world.devices.filter((d) => d.id !== device.id);
      if (others.length === 0) return [];
      return [{ ...message(JSON.stringify(valid)), publisher: pick(rng, others).id }];
    }
    case 'duplicate':
    case 'redelivery': {
      const original: TimelineMessage = { deviceId: device.id, channel: 'telemetry', ts, seq, payload: JSON.stringify(valid) };
      const resend = { ...original, fault: kind, sendAt: ts + 1 + Math.floor(rng() * maxResendDelayMs) };
      return [original, kind === 'redelivery' ? { ...resend, redelivery: true } : resend];
    }
  }
}

/**
 * The message faults of one UTC day over the whole fleet, at the scenario's rates; a pure function of
 * (seed, day). New kinds come last so that adding one leaves the draws of the others unchanged.
 */
export function faultsOfDay(world: World, seed: number, day: number, metricsAt: MetricsAt): TimelineMessage[] {
  if (world.devices.length === 0) return [];
  const rng = rngFor(seed, 'faults', day);
  const unknownIds = unknownDeviceIds(world);
  const f = world.faults;
  const rates: [MessageFault, number][] = [
    ['bad_json', f.malformedJsonPerDay],
    ['wrong_types', f.wrongTypesPerDay],
    ['unknown_device', f.unknownDevicePerDay],
    ['unknown_fields', f.unknownFieldsPerDay],
    ['oversize', f.oversizePerDay],
    ['duplicate', f.duplicatePerDay],
    ['redelivery', f.redeliveryPerDay],
    ['clock_skew', f.clockSkewPerDay],
    ['clock_stuck', f.clockStuckPerDay],
    ['topic_mismatch', f.topicMismatchPerDay],
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
      messages.push(...faultMessages(kind, world, rng, ts, deviceId, device, metricsAt));
    }
  }
  return messages;
}
