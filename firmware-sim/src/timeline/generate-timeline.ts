import type { EventPayloadInput, TelemetryPayloadInput } from '@parcours/contracts';
import type { World, WorldDevice } from '../scenario/schema.js';
import { faultsOfDay } from './faults.js';
import { buildGroundTruth, type GroundTruth, type SessionTruth } from './ground-truth.js';
import { metricsAt, type DeviceDays } from './metrics.js';
import { applyConnectivity } from './offline.js';
import { ownerAt, WorldIndex } from '../world/world-index.js';
import { PlanBook } from './plans.js';
import { SessionBook, type SimSession } from './sessions.js';
import { dayMs, dayOf, seqOf, seqSlot } from './time.js';
import { sendTime, type ConnectivityChange, type TimelineMessage } from './types.js';

export interface Timeline {
  /** Every message with its device time in [fromMs, toMs), in sending order: by send time, ts, seq, device id. */
  messages: TimelineMessage[];
  /** Devices going offline and back of the offline periods starting in [fromMs, toMs). */
  connectivity: ConnectivityChange[];
  groundTruth: GroundTruth;
}

/** A device event at `ts`, its seq derived from the time as every simulated message's is. */
export function eventMessage(deviceId: string, ts: number, type: EventPayloadInput['type'], actor: string | null): TimelineMessage {
  const seq = seqOf(ts, seqSlot.event);
  const body: EventPayloadInput = actor === null ? { ts, seq, type } : { ts, seq, type, actor };
  return { deviceId, channel: 'events', ts, seq, payload: JSON.stringify(body) };
}

function sessionEvents(device: WorldDevice, session: SimSession): TimelineMessage[] {
  const actor = device.reportsActor ? session.user : null;
  return [
    eventMessage(device.id, session.startMs, 'usage.start', actor),
    ...session.interactions.map((ts) => eventMessage(device.id, ts, 'interaction', actor)),
    eventMessage(device.id, session.endMs, 'usage.stop', actor),
  ];
}

/**
 * The messages of every device in [fromMs, toMs) and their ground truth. A pure function of
 * (world, seed, time): sessions are drawn per (device, UTC day) and telemetry noise per (device, ts), so
 * any window yields exactly the messages that a larger window holds at the same instants.
 */
export function generateTimeline(world: World, seed: number, fromMs: number, toMs: number): Timeline {
  if (!Number.isSafeInteger(fromMs) || !Number.isSafeInteger(toMs) || fromMs < 0 || fromMs > toMs) {
    throw new RangeError(`invalid window [${fromMs}, ${toMs}): integer ms with 0 ≤ from ≤ to expected`);
  }
  const plans = new PlanBook(world, seed);
  const book = new SessionBook(seed, plans, new WorldIndex(world));
  const daysAt = (device: WorldDevice, ts: number): DeviceDays => {
    const day = dayOf(ts);
    return { previousDayStart: (day - 1) * dayMs, previousDay: book.sessions(device, day - 1), today: book.sessions(device, day) };
  };
  const inWindow = (ts: number) => ts >= fromMs && ts < toMs;
  const messages: TimelineMessage[] = [];
  const sessions = { starting: [] as SessionTruth[], runningAtStart: [] as SessionTruth[] };
  const firstDay = dayOf(fromMs);
  const lastDay = dayOf(Math.max(fromMs, toMs - 1));
  const individuals = new Set(world.individuals.map((p) => p.id));
  const worldIds = { devices: world.devices.map((d) => d.id), subjects: [...world.collectives, ...world.individuals].map((s) => s.id) };

  for (const device of world.devices) {
    // Telemetry is aligned to the epoch, so every window samples the same instants.
    const intervalMs = device.telemetry.intervalS * 1000;
    const firstSample = Math.ceil(fromMs / intervalMs) * intervalMs;
    // A session the routine gives nobody in particular is its owner's when a person owns the device.
    const truthOf = (session: SimSession, startMs: number): SessionTruth => {
      const subjectId = ownerAt(device, startMs);
      const user = session.user ?? (subjectId !== null && individuals.has(subjectId) ? subjectId : null);
      const actor = device.reportsActor && device.reportsEvents ? session.user : null;
      return { deviceId: device.id, deviceType: device.type, subjectId, user, actor, startMs, endMs: session.endMs };
    };
    // Sessions of the day before may still be running at fromMs (none lasts longer than 12 h): the
    // platform can see them from the window's first sample.
    for (let day = firstDay - 1; day <= lastDay; day++) {
      for (const session of book.sessions(device, day)) {
        if (inWindow(session.startMs)) sessions.starting.push(truthOf(session, session.startMs));
        else if (session.startMs < fromMs && firstSample < Math.min(session.endMs, toMs)) sessions.runningAtStart.push(truthOf(session, firstSample));
        if (device.reportsEvents) messages.push(...sessionEvents(device, session).filter((m) => inWindow(m.ts)));
      }
    }
    // A device not yet adopted, or sold away, is silent.
    for (let ts = firstSample; ts < toMs; ts += intervalMs) {
      if (ownerAt(device, ts) === null) continue;
      const seq = seqOf(ts, seqSlot.telemetry);
      const body: TelemetryPayloadInput = { ts, seq, metrics: metricsAt(device, seed, daysAt(device, ts), ts) };
      messages.push({ deviceId: device.id, channel: 'telemetry', ts, seq, payload: JSON.stringify(body) });
    }
  }
  const metricsOf = (device: WorldDevice, ts: number) => metricsAt(device, seed, daysAt(device, ts), ts);
  for (let day = firstDay; day <= lastDay; day++) {
    messages.push(...faultsOfDay(world, seed, day, metricsOf).filter((m) => inWindow(m.ts)));
  }
  const { changes, periods } = applyConnectivity(world, seed, messages, fromMs, toMs);
  // Stable: a resend of the same (device, seq) stays after its original.
  messages.sort((a, b) => sendTime(a) - sendTime(b) || a.ts - b.ts || a.seq - b.seq || (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
  return {
    messages,
    connectivity: changes,
    groundTruth: buildGroundTruth(fromMs, toMs, messages, sessions, plans.staysBetween(fromMs, toMs), worldIds, periods),
  };
}
