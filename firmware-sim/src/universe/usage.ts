import { errorCodes, ParcoursError } from '@parcours/contracts';
import { normal, rngFor, triangular, uniform } from '../prng.js';
import type { CustomerBase } from './generate-customer-base.js';
import { dayMs, hourMs } from '../timeline/time.js';

/**
 * What every customer of a base does with two connected devices over a span of weeks, the ground truth that
 * weighted panel figures are judged against. Each customer has a propensity from who they are (age band and
 * household size: what panels are drawn and weighted on) plus a random effect of their own; from it come the
 * week they adopt (or never), the weeks they are active until they churn, the days of an active week, and on
 * each such day a morning session of the first device and, more often the younger they are, a session of the
 * second within the funnel's window. Deterministic per seed and customer; sessions in typed arrays.
 */

/** The first step's device, then the second's. */
export const usageDeviceTypes = ['coffee_machine', 'water_heater'] as const;
export type UsageDeviceType = (typeof usageDeviceTypes)[number];

/** A second-step session counts as converting within this long after the first step's start. */
export const usageFunnelWindowMs = hourMs;

const weekMs = 7 * dayMs;

/** Log-odds and chances by age band (`ageBands` order: the youngest first) and household size (1 to 5). */
export interface UsagePropensities {
  /** Added to everyone's log-odds of adopting and of being active in a week. */
  ageEffect: readonly number[];
  householdEffect: readonly number[];
  /** Standard deviation of each customer's own effect on those log-odds. */
  personEffect: number;
  /** Log-odds of adopting in the first week (launch), and in each later one, before the effects. */
  launch: number;
  laterAdoption: number;
  /** Log-odds of being active in a week after adopting (until churning), before the effects. */
  activeWeek: number;
  /** Log-odds of each of the six other days of an active week being active too, by age band. */
  extraDay: readonly number[];
  /** Chance of leaving for good at the end of each week after adopting, by age band. */
  churn: readonly number[];
  /** Chance of a second-step session within the window after a day's first-step session, by age band. */
  secondStep: readonly number[];
  /** Chance of an evening second-step session that follows no first step, on an active day. */
  eveningSecondStep: number;
}

export const defaultUsagePropensities: UsagePropensities = {
  ageEffect: [0.9, 0.6, 0.3, 0, -0.4, -0.9],
  householdEffect: [-0.4, -0.1, 0.2, 0.4, 0.5],
  personEffect: 0.8,
  launch: -0.5,
  laterAdoption: -2.2,
  activeWeek: 1,
  extraDay: [-0.2, -0.4, -0.6, -0.8, -1, -1.2],
  churn: [0.4, 0.3, 0.2, 0.12, 0.07, 0.04],
  secondStep: [0.6, 0.5, 0.4, 0.3, 0.2, 0.15],
  eveningSecondStep: 0.15,
};

export interface UsageOptions {
  seed: number;
  /** A Monday, 00:00 UTC: weeks are ISO weeks. */
  from: number;
  weeks: number;
  propensities?: Partial<UsagePropensities>;
}

export interface CustomerUsage {
  from: number;
  weeks: number;
  /** Customers, in the base's order. */
  count: number;
  /** Customer i's sessions are `[first[i], first[i + 1])` of the arrays below, in start order. */
  first: Uint32Array;
  start: Float64Array;
  end: Float64Array;
  /** Index into `usageDeviceTypes`. */
  deviceType: Uint8Array;
}

/** One session of a customer, as the product would record it. */
export interface UsageSession {
  customer: number;
  deviceType: UsageDeviceType;
  start: number;
  end: number;
}

const expit = (x: number) => 1 / (1 + Math.exp(-x));

/** Growable columns of sessions: the base's count is not known before drawing them. */
class SessionColumns {
  start = new Float64Array(1024);
  end = new Float64Array(1024);
  type = new Uint8Array(1024);
  size = 0;

  push(start: number, end: number, type: number): void {
    if (this.size === this.start.length) {
      const grow = <T extends Float64Array | Uint8Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.start = grow(this.start);
      this.end = grow(this.end);
      this.type = grow(this.type);
    }
    this.start[this.size] = start;
    this.end[this.size] = end;
    this.type[this.size++] = type;
  }
}

export function generateUsage(base: CustomerBase, options: UsageOptions): CustomerUsage {
  const { seed, from, weeks } = options;
  if ((from - 4 * dayMs) % weekMs !== 0)
    throw new ParcoursError(errorCodes.config, `usage must start on a Monday at 00:00 UTC, not ${new Date(from).toISOString()}`);
  if (!(Number.isInteger(weeks) && weeks >= 1 && weeks <= 104)) throw new ParcoursError(errorCodes.config, `usage spans 1 to 104 weeks, not ${weeks}`);
  const p = { ...defaultUsagePropensities, ...options.propensities };
  const { customers } = base;
  const first = new Uint32Array(customers.count + 1);
  const sessions = new SessionColumns();
  const day = new Uint8Array(7);
  for (let i = 0; i < customers.count; i++) {
    first[i] = sessions.size;
    const rng = rngFor(seed, 'usage', i);
    const age = customers.ageBand[i]!;
    const own = p.personEffect * normal(rng);
    const propensity = p.ageEffect[age]! + p.householdEffect[customers.householdSize[i]! - 1]! + own;
    let adopted = false;
    for (let week = 0; week < weeks; week++) {
      let active: boolean;
      if (!adopted) active = adopted = rng() < expit((week === 0 ? p.launch : p.laterAdoption) + propensity);
      else if (rng() < p.churn[age]!) break;
      else active = rng() < expit(p.activeWeek + propensity);
      if (!active) continue;
      // One day at least, then each other day with the same chance; the first of them drawn at random.
      const extra = expit(p.extraDay[age]! + own / 2);
      day.fill(0);
      day[Math.floor(rng() * 7)] = 1;
      for (let d = 0; d < 7; d++) if (day[d] === 0 && rng() < extra) day[d] = 1;
      for (let d = 0; d < 7; d++) {
        if (day[d] === 0) continue;
        const midnight = from + week * weekMs + d * dayMs;
        const coffee = midnight + Math.floor(triangular(rng, 6, 7.5, 10) * hourMs);
        sessions.push(coffee, coffee + Math.floor(uniform(rng, 2, 8) * 60_000), 0);
        if (rng() < p.secondStep[age]!) {
          const shower = coffee + Math.floor(uniform(rng, 10, 50) * 60_000);
          sessions.push(shower, shower + Math.floor(uniform(rng, 5, 9) * 60_000), 1);
        }
        if (rng() < p.eveningSecondStep) {
          const evening = midnight + Math.floor(uniform(rng, 19, 22) * hourMs);
          sessions.push(evening, evening + Math.floor(uniform(rng, 5, 20) * 60_000), 1);
        }
      }
    }
  }
  first[customers.count] = sessions.size;
  return {
    from,
    weeks,
    count: customers.count,
    first,
    start: sessions.start.slice(0, sessions.size),
    end: sessions.end.slice(0, sessions.size),
    deviceType: sessions.type.slice(0, sessions.size),
  };
}

/** A customer's sessions, in start order. */
export function sessionsOf(usage: CustomerUsage, customer: number): UsageSession[] {
  const sessions: UsageSession[] = [];
  for (let s = usage.first[customer]!; s < usage.first[customer + 1]!; s++)
    sessions.push({ customer, deviceType: usageDeviceTypes[usage.deviceType[s]!]!, start: usage.start[s]!, end: usage.end[s]! });
  return sessions;
}
