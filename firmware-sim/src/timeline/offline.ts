import { poisson, rngFor, roundedCount, uniform } from '../prng.js';
import type { World } from '../scenario/schema.js';
import { dayMs, dayOf } from './time.js';
import { sendTime, type ConnectivityChange, type TimelineMessage } from './types.js';

/** A device without a broker connection during [startMs, endMs). */
export interface OfflinePeriod {
  kind: 'offline' | 'reconnect_storm';
  deviceId: string;
  startMs: number;
  endMs: number;
}

/** After a storm, each device's reconnect timer fires within this long: they come back at once. */
const stormReconnectMs = { min: 1000, max: 10_000 };

/** Offline periods that start on one UTC day, for one device: a pure function of (seed, device, day). */
function offlineOfDay(world: World, seed: number, deviceId: string, day: number): OfflinePeriod[] {
  const { offlinePerDevicePerDay, offlineDuration } = world.faults;
  if (offlinePerDevicePerDay === 0) return [];
  const rng = rngFor(seed, 'offline', deviceId, day);
  // Poisson: outages of one device are independent events, unlike the fixed daily quota of fleet faults.
  const count = poisson(rng, offlinePerDevicePerDay);
  return Array.from({ length: count }, () => {
    const startMs = day * dayMs + Math.floor(rng() * dayMs);
    return { kind: 'offline' as const, deviceId, startMs, endMs: startMs + Math.round(uniform(rng, offlineDuration.min, offlineDuration.max)) };
  });
}

/** The storms starting on one UTC day: each drops `stormFraction` of the fleet, chosen anew. */
function stormsOfDay(world: World, seed: number, day: number): OfflinePeriod[] {
  const rng = rngFor(seed, 'storms', day);
  const periods: OfflinePeriod[] = [];
  const storms = roundedCount(rng, world.faults.reconnectStormsPerDay);
  for (let s = 0; s < storms; s++) {
    const startMs = day * dayMs + Math.floor(rng() * dayMs);
    const ids = world.devices.map((d) => d.id);
    const dropped = Math.round(world.faults.stormFraction * ids.length);
    // A partial Fisher–Yates shuffle: the first `dropped` ids are a uniform sample.
    for (let i = 0; i < dropped; i++) {
      const j = i + Math.floor(rng() * (ids.length - i));
      [ids[i], ids[j]] = [ids[j]!, ids[i]!];
      periods.push({
        kind: 'reconnect_storm',
        deviceId: ids[i]!,
        startMs,
        endMs: startMs + Math.round(uniform(rng, stormReconnectMs.min, stormReconnectMs.max)),
      });
    }
  }
  return periods;
}

/** Overlapping periods of one device joined: the device is simply offline for longer. */
function merge(periods: OfflinePeriod[]): { startMs: number; endMs: number }[] {
  const merged: { startMs: number; endMs: number }[] = [];
  for (const p of [...periods].sort((a, b) => a.startMs - b.startMs)) {
    const last = merged.at(-1);
    if (last && p.startMs <= last.endMs) last.endMs = Math.max(last.endMs, p.endMs);
    else merged.push({ startMs: p.startMs, endMs: p.endMs });
  }
  return merged;
}

export interface Connectivity {
  /** Disconnects and reconnects of the periods (merged per device) that start in the window. */
  changes: ConnectivityChange[];
  /** Each injected period that starts in the window, for the ground truth. */
  periods: OfflinePeriod[];
}

/**
 * Plans the offline periods touching [fromMs, toMs) and delays every message sent during one to the end of
 * it, where the device replays its buffer in a burst with the original timestamps and seqs. Periods last
 * at most 12 h, so those starting two days back are enough to find any period still running.
 */
export function applyConnectivity(world: World, seed: number, messages: TimelineMessage[], fromMs: number, toMs: number): Connectivity {
  const firstDay = dayOf(fromMs) - 2;
  const lastDay = dayOf(Math.max(fromMs, toMs - 1));
  const byDevice = new Map<string, OfflinePeriod[]>(world.devices.map((d) => [d.id, []]));
  for (let day = firstDay; day <= lastDay; day++) {
    for (const device of world.devices) byDevice.get(device.id)!.push(...offlineOfDay(world, seed, device.id, day));
    for (const period of stormsOfDay(world, seed, day)) byDevice.get(period.deviceId)!.push(period);
  }
  const inWindow = (ms: number) => ms >= fromMs && ms < toMs;
  const mergedByDevice = new Map([...byDevice].map(([id, periods]) => [id, merge(periods)]));
  for (const message of messages) {
    const merged = mergedByDevice.get(message.publisher ?? message.deviceId);
    const at = sendTime(message);
    const period = merged?.find((p) => p.startMs <= at && at < p.endMs);
    if (period) message.sendAt = period.endMs;
  }
  const changes: ConnectivityChange[] = [];
  for (const [deviceId, merged] of mergedByDevice) {
    for (const p of merged.filter((m) => inWindow(m.startMs))) {
      changes.push({ at: p.startMs, deviceId, online: false }, { at: p.endMs, deviceId, online: true });
    }
  }
  const periods = [...byDevice.values()].flat().filter((p) => inWindow(p.startMs));
  periods.sort((a, b) => a.startMs - b.startMs || (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
  return { changes: changes.sort((a, b) => a.at - b.at), periods };
}
