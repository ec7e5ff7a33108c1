import { dayMs } from '../timeline/time.js';
import { type CustomerUsage, usageFunnelWindowMs } from './usage.js';

/**
 * The figures of a base's usage over the whole base (or the customers of `who`), by plain counting of the
 * simulated sessions, independent of the product's analytics: what weighted panel figures should find.
 * Activity counts a customer in a day or week when a session of theirs starts in it; retention and the
 * lifecycle follow a customer's first session ever, which is in the span (nobody used the devices before).
 */

const weekMs = 7 * dayMs;

export interface ActiveTruth {
  start: number;
  active: number;
  share: number;
}

export interface CohortTruth {
  week: number;
  size: number;
  /** From offset 0 (the cohort's own week) to the span's last week. */
  retained: { weekOffset: number; active: number; share: number }[];
}

export interface LifecycleTruth {
  week: number;
  new: number;
  returning: number;
  resurrecting: number;
  dormant: number;
}

export interface UsageTruth {
  /** Customers counted. */
  people: number;
  days: ActiveTruth[];
  weeks: ActiveTruth[];
  cohorts: CohortTruth[];
  lifecycle: LifecycleTruth[];
}

export interface FunnelTruth {
  entered: number;
  converted: number;
  /** null when nobody entered. */
  conversion: number | null;
}

/** Whether customer i counts: everyone without a mask. */
const counts = (who: Uint8Array | undefined, i: number) => who === undefined || who[i] === 1;

export function usageTruth(usage: CustomerUsage, who?: Uint8Array): UsageTruth {
  const { from, weeks } = usage;
  const dayCount = weeks * 7;
  const activeDays = new Uint32Array(dayCount);
  const activeWeeks = new Uint32Array(weeks);
  const cohortSize = new Uint32Array(weeks);
  // retained[c * weeks + w]: customers of cohort c active in week w.
  const retained = new Uint32Array(weeks * weeks);
  const lifecycle = Array.from({ length: weeks }, (_, w) => ({ week: from + w * weekMs, new: 0, returning: 0, resurrecting: 0, dormant: 0 }));
  const dayActive = new Uint8Array(dayCount);
  const weekActive = new Uint8Array(weeks);
  let people = 0;
  for (let i = 0; i < usage.count; i++) {
    if (!counts(who, i)) continue;
    people++;
    dayActive.fill(0);
    weekActive.fill(0);
    for (let s = usage.first[i]!; s < usage.first[i + 1]!; s++) {
      const d = Math.floor((usage.start[s]! - from) / dayMs);
      dayActive[d] = 1;
      weekActive[Math.floor(d / 7)] = 1;
    }
    for (let d = 0; d < dayCount; d++) activeDays[d]! += dayActive[d]!;
    const cohort = weekActive.indexOf(1);
    for (let w = 0; w < weeks; w++) {
      activeWeeks[w]! += weekActive[w]!;
      if (cohort >= 0 && weekActive[w]) retained[cohort * weeks + w]!++;
      const now = weekActive[w] === 1;
      const before = w > 0 && weekActive[w - 1] === 1;
      if (now && w === cohort) lifecycle[w]!.new++;
      else if (now && before) lifecycle[w]!.returning++;
      else if (now) lifecycle[w]!.resurrecting++;
      else if (before) lifecycle[w]!.dormant++;
    }
    if (cohort >= 0) cohortSize[cohort]!++;
  }
  const share = (part: number) => (people === 0 ? 0 : part / people);
  return {
    people,
    days: Array.from(activeDays, (active, d) => ({ start: from + d * dayMs, active, share: share(active) })),
    weeks: Array.from(activeWeeks, (active, w) => ({ start: from + w * weekMs, active, share: share(active) })),
    cohorts: Array.from(cohortSize, (size, c) => ({
      week: from + c * weekMs,
      size,
      retained: Array.from({ length: weeks - c }, (_, offset) => {
        const active = retained[c * weeks + c + offset]!;
        return { weekOffset: offset, active, share: size === 0 ? 0 : active / size };
      }),
    })).filter((c) => c.size > 0),
    lifecycle,
  };
}

/**
 * The funnel first device → second device for entries in `[from, to)`: a customer enters with a first-step
 * session starting in the range, and converts when a second-step session starts after one such entry and
 * within the window of it.
 */
export function funnelTruth(usage: CustomerUsage, from: number, to: number, who?: Uint8Array, windowMs = usageFunnelWindowMs): FunnelTruth {
  let entered = 0;
  let converted = 0;
  for (let i = 0; i < usage.count; i++) {
    if (!counts(who, i)) continue;
    let enters = false;
    let converts = false;
    const last = usage.first[i + 1]!;
    for (let s = usage.first[i]!; s < last && !converts; s++) {
      const entry = usage.start[s]!;
      if (usage.deviceType[s] !== 0 || entry < from || entry >= to) continue;
      enters = true;
      for (let t = s + 1; t < last && usage.start[t]! <= entry + windowMs; t++) if (usage.deviceType[t] === 1 && usage.start[t]! > entry) converts = true;
    }
    if (enters) entered++;
    if (converts) converted++;
  }
  return { entered, converted, conversion: entered === 0 ? null : converted / entered };
}
