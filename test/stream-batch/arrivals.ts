import fc from 'fast-check';
import type { World, WorldMessage } from './world.js';

/**
 * One arrival order of a world's messages: each sent at its true time and received up to the allowed
 * lateness later (networks delay and reorder), those of a device offline replayed when it reconnects,
 * some delivered twice; cut into the batches the stream reads, between which the clock may move the
 * watermark, as it does when the log is quiet. Drawn from a seed, so that a failure names its order.
 */
export interface OrderSpec {
  seed: number;
  /** How much of the allowed lateness the delays use: 0, all messages in order. */
  delayShare: number;
  /** The chance that a batch ends after a message. */
  cut: number;
  /** The chance that the clock advances the watermark between two batches. */
  advance: number;
  /** The share of messages delivered twice. */
  duplicates: number;
}

export const orderArb: fc.Arbitrary<OrderSpec> = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  delayShare: fc.constantFrom(0, 0.25, 1, 1),
  cut: fc.constantFrom(0.1, 0.5, 1),
  advance: fc.constantFrom(0, 0.5, 1),
  duplicates: fc.constantFrom(0, 0.02, 0.1),
});

export interface Delivery {
  message: WorldMessage;
  receivedAt: number;
}

export interface Batch {
  /** The clock before the batch arrives, when it moves the watermark on the quiet log (to this minus the lateness). */
  clock: number | null;
  deliveries: Delivery[];
}

export interface Arrivals {
  batches: Batch[];
  /** The clock at the end: after every arrival, and the same for every order of the world. */
  finalClock: number;
}

/** A wrong clock's messages are filed at their receipt: received at a time fixed by the world, so that every order logs the same times. */
const correctedDelay = 1_000;
/** The longest a redelivery comes after the first delivery. */
const redeliveryDelay = 5 * 60_000;
/** The spacing of a device's replayed messages. */
const replaySpacing = 10;

/**
 * Every draw is keyed by the message it is about (device, seq) and the order's seed, not taken in turn from
 * one sequence: a world shrunk by a device or a use keeps the delays, cuts and clock moves of the rest.
 */
export function arrivals(world: World, order: OrderSpec, latenessMs: number): Arrivals {
  const draw = (message: WorldMessage, what: string) => uniform(`${order.seed}|${message.deviceId}|${message.seq}|${what}`);
  const byId = new Map(world.devices.map((d) => [d.id, d]));
  const replayed = new Map<string, number>();
  const deliveries: (Delivery & { tie: number })[] = [];
  let latest = Number.NEGATIVE_INFINITY;
  for (const message of world.messages) {
    const device = byId.get(message.deviceId)!;
    const { offline } = device;
    let receivedAt: number;
    let bound: number;
    if (offline && message.sentAt >= offline.from && message.sentAt < offline.to) {
      const n = replayed.get(device.id) ?? 0;
      replayed.set(device.id, n + 1);
      receivedAt = bound = offline.to + n * replaySpacing;
    } else if (device.clockAhead) {
      receivedAt = bound = message.sentAt + correctedDelay;
    } else {
      receivedAt = message.sentAt + Math.floor(draw(message, 'delay') * order.delayShare * latenessMs);
      bound = message.sentAt + latenessMs;
    }
    latest = Math.max(latest, bound);
    deliveries.push({ message, receivedAt, tie: draw(message, 'tie') });
    // A redelivery (QoS 1 after a lost acknowledgement): the same message again, a little later.
    if (draw(message, 'duplicate') < order.duplicates)
      deliveries.push({ message, receivedAt: receivedAt + Math.floor(draw(message, 'redelivery') * redeliveryDelay), tie: draw(message, 'tie again') });
  }
  deliveries.sort((a, b) => a.receivedAt - b.receivedAt || a.tie - b.tie);
  const batches: Batch[] = [];
  let current: Delivery[] = [];
  for (const [k, { message, receivedAt, tie }] of deliveries.entries()) {
    current.push({ message, receivedAt });
    const next = deliveries[k + 1];
    const key = `${order.seed}|${message.deviceId}|${message.seq}|${tie}`;
    if (next && uniform(`${key}|cut`) >= order.cut) continue;
    batches.push({ clock: null, deliveries: current });
    current = [];
    // Quiet until the next one arrives: the clock may move the watermark, at most to that arrival less the lateness.
    if (next && uniform(`${key}|advance`) < order.advance) {
      const when = uniform(`${key}|when`);
      const clock = when < 0.3 ? next.receivedAt : receivedAt + Math.floor(when * (next.receivedAt - receivedAt));
      batches.push({ clock, deliveries: [] });
    }
  }
  return { batches, finalClock: latest + redeliveryDelay + 1_000 };
}

/** A uniform draw in [0, 1) keyed by a string (FNV-1a, then a mulberry32 step). */
function uniform(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return mulberry32(hash)();
}

/** mulberry32: a 32-bit seeded PRNG, uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
