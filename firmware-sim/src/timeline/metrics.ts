import { normal, rngFor, type Rng } from '../prng.js';
import type { MetricModel, WorldDevice } from '../scenario/schema.js';
import type { SimSession } from './sessions.js';

/** What a device's metrics depend on at one instant: its sessions of that UTC day and of the day before. */
export interface DeviceDays {
  previousDayStart: number;
  previousDay: SimSession[];
  today: SimSession[];
}

type MetricValue = number | boolean;

function round(value: number, decimals: number): number {
  return Number(value.toFixed(decimals));
}

function activeSession(days: DeviceDays, ts: number): SimSession | null {
  const spill = days.previousDay.at(-1);
  if (spill && spill.startMs <= ts && ts < spill.endMs) return spill;
  return days.today.find((s) => s.startMs <= ts && ts < s.endMs) ?? null;
}

/** Exponential approach, replayed over every start and stop since the previous midnight (idle then). */
function approach(model: Extract<MetricModel, { kind: 'approach' }>, days: DeviceDays, ts: number): number {
  const tauMs = model.tauMin * 60_000;
  const move = (value: number, target: number, ms: number) => target + (value - target) * Math.exp(-ms / tauMs);
  let value = model.idle;
  let since = days.previousDayStart;
  for (const session of [...days.previousDay, ...days.today]) {
    if (session.startMs > ts) break;
    value = move(value, model.idle, session.startMs - since);
    if (ts < session.endMs) return move(value, model.active, ts - session.startMs);
    value = move(value, model.active, session.endMs - session.startMs);
    since = session.endMs;
  }
  return move(value, model.idle, ts - since);
}

/** Battery: full at a day's first session, drains while in use, charges between sessions. */
function battery(model: Extract<MetricModel, { kind: 'battery' }>, sessions: SimSession[], ts: number): number {
  let level = 100;
  let lastEnd: number | null = null;
  for (const session of sessions) {
    if (session.startMs > ts) break;
    if (lastEnd !== null) level = Math.min(100, level + (model.chargePerH * (session.startMs - lastEnd)) / 3_600_000);
    const drain = (used: number) => Math.max(0, level - (model.drainPerH * used) / 3_600_000);
    if (ts < session.endMs) return drain(ts - session.startMs);
    level = drain(session.endMs - session.startMs);
    lastEnd = session.endMs;
  }
  return lastEnd === null ? level : Math.min(100, level + (model.chargePerH * (ts - lastEnd)) / 3_600_000);
}

function evaluate(model: MetricModel, days: DeviceDays, ts: number, rng: Rng): MetricValue {
  switch (model.kind) {
    case 'level': {
      const base = activeSession(days, ts) ? model.active : model.idle;
      const value = base * (1 + model.noise * normal(rng));
      return round(model.min === undefined ? value : Math.max(model.min, value), model.decimals);
    }
    case 'flag':
      return activeSession(days, ts) !== null;
    case 'approach':
      return round(approach(model, days, ts) + model.noise * normal(rng), model.decimals);
    case 'battery': {
      // Before the day's first session, the level is where the previous day left it.
      const today = days.today.filter((s) => s.startMs <= ts);
      return round(battery(model, today.length > 0 ? days.today : days.previousDay, ts), model.decimals);
    }
    case 'daily_count':
      return days.today.filter((s) => s.startMs <= ts).length;
  }
}

/** The metrics a device reports at `ts`; the noise is seeded per (device, ts), so any window agrees. */
export function metricsAt(device: WorldDevice, seed: number, days: DeviceDays, ts: number): Record<string, MetricValue> {
  const rng = rngFor(seed, 'telemetry', device.id, ts);
  const metrics: Record<string, MetricValue> = {};
  for (const [name, model] of Object.entries(device.telemetry.metrics)) metrics[name] = evaluate(model, days, ts, rng);
  return metrics;
}
