import { eventPayloadSchema } from '@parcours/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  funnelTruth,
  generateCustomerBase,
  generateUsage,
  sessionsOf,
  usageDeviceTypes,
  usageFunnelWindowMs,
  usageTraffic,
  usageTruth,
  type CustomerUsage,
} from '../../src/index.js';

/**
 * The base's usage: deterministic per seed, cheap, shaped by who the customers are; and its truth, whose counts
 * must hold the identities that tie activity, cohorts and the lifecycle together.
 */

const day = 86_400_000;
const week = 7 * day;
const startsAt = Date.UTC(2026, 2, 2);
const from = startsAt + 2 * week;
let base: ReturnType<typeof generateCustomerBase>;
let usage: CustomerUsage;

beforeAll(() => {
  base = generateCustomerBase({ size: 20_000, seed: 4, startsAt });
  usage = generateUsage(base, { seed: 4, from, weeks: 5 });
});

describe('the usage of a customer base', () => {
  it('is the same for the same seed, another for another, and takes well under a second for 20,000 customers', () => {
    const started = performance.now();
    const again = generateUsage(base, { seed: 4, from, weeks: 5 });
    expect(performance.now() - started).toBeLessThan(1000);
    const bytes = (a: Float64Array | Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    expect(bytes(again.start).equals(bytes(usage.start))).toBe(true);
    expect(bytes(again.deviceType).equals(bytes(usage.deviceType))).toBe(true);
    expect(bytes(generateUsage(base, { seed: 5, from, weeks: 5 }).start).equals(bytes(usage.start))).toBe(false);
  });

  it('refuses a span that does not start on a Monday', () => {
    expect(() => generateUsage(base, { seed: 4, from: from + day, weeks: 5 })).toThrow(/Monday/);
  });

  it('keeps every session in the span, in start order per customer', () => {
    let misplaced = 0;
    for (let i = 0; i < usage.count; i++) {
      for (let s = usage.first[i]!; s < usage.first[i + 1]!; s++) {
        const start = usage.start[s]!;
        const inSpan = start >= from && start < from + 5 * week && usage.end[s]! > start;
        const ordered = s === usage.first[i] || start > usage.start[s - 1]!;
        if (!inSpan || !ordered) misplaced++;
      }
    }
    expect(misplaced).toBe(0);
  });

  it('makes the young adopt and convert more often than the old', () => {
    const rates = (band: number) => {
      let adopters = 0;
      let people = 0;
      for (let i = 0; i < usage.count; i++) {
        if (base.customers.ageBand[i] !== band) continue;
        people++;
        if (usage.first[i + 1]! > usage.first[i]!) adopters++;
      }
      const young = new Uint8Array(usage.count).map((_, i) => (base.customers.ageBand[i] === band ? 1 : 0));
      return { adoption: adopters / people, conversion: funnelTruth(usage, from, from + week, young).conversion! };
    };
    const youngest = rates(0);
    const oldest = rates(5);
    expect(youngest.adoption).toBeGreaterThan(oldest.adoption + 0.1);
    expect(youngest.conversion).toBeGreaterThan(oldest.conversion + 0.1);
  });
});

describe('its truth', () => {
  it('counts what the sessions say: activity, cohorts and a lifecycle that account for each other', () => {
    const truth = usageTruth(usage);
    expect(truth.people).toBe(20_000);
    expect(truth.days).toHaveLength(35);
    let everActive = 0;
    for (let i = 0; i < usage.count; i++) if (usage.first[i + 1]! > usage.first[i]!) everActive++;
    expect(truth.cohorts.reduce((sum, c) => sum + c.size, 0)).toBe(everActive);
    truth.weeks.forEach((w, k) => {
      const status = truth.lifecycle[k]!;
      // Active this week: new, returning or resurrecting; active the week before: returning or dormant now.
      expect(status.new + status.returning + status.resurrecting).toBe(w.active);
      expect(status.returning + status.dormant).toBe(k === 0 ? 0 : truth.weeks[k - 1]!.active);
      // A week's active people are at least its busiest day's and at most its days' together.
      const days = truth.days.slice(k * 7, k * 7 + 7).map((d) => d.active);
      expect(w.active).toBeGreaterThanOrEqual(Math.max(...days));
      expect(w.active).toBeLessThanOrEqual(days.reduce((a, b) => a + b, 0));
      expect(truth.cohorts.find((c) => c.week === w.start)?.size ?? 0).toBe(status.new);
    });
    for (const cohort of truth.cohorts) expect(cohort.retained[0]!.share).toBe(1);
  });

  it('counts a conversion only within the window after an entry in the range', () => {
    const all = funnelTruth(usage, from, from + 5 * week);
    expect(all.converted).toBeLessThanOrEqual(all.entered);
    expect(funnelTruth(usage, from, from + 5 * week, undefined, 0).converted).toBe(0);
    const wider = funnelTruth(usage, from, from + 5 * week, undefined, 2 * usageFunnelWindowMs);
    expect(wider.converted).toBeGreaterThanOrEqual(all.converted);
    const empty = funnelTruth(usage, from - week, from);
    expect(empty).toEqual({ entered: 0, converted: 0, conversion: null });
  });

  it('counts a subset of the base when asked', () => {
    const who = new Uint8Array(usage.count).map((_, i) => (i % 2 === 0 ? 1 : 0));
    const even = usageTruth(usage, who);
    const odd = usageTruth(
      usage,
      who.map((v) => 1 - v),
    );
    const whole = usageTruth(usage);
    expect(even.people + odd.people).toBe(whole.people);
    expect(whole.days.map((d, k) => even.days[k]!.active + odd.days[k]!.active - d.active)).toEqual(whole.days.map(() => 0));
  });
});

describe('what the product ingests of it', () => {
  it('gives each person one device per type and each session a usage.start and a usage.stop, in device-time order', () => {
    const people = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((customer) => ({ customer, id: `p-${customer}` }));
    const traffic = usageTraffic(usage, people);
    expect(traffic.devices).toHaveLength(people.length * usageDeviceTypes.length);
    for (const d of traffic.devices) expect(d.id).toBe(`${d.ownerId}.${d.type}`);
    const sessions = people.reduce((sum, p) => sum + sessionsOf(usage, p.customer).length, 0);
    expect(traffic.messages).toHaveLength(2 * sessions);
    const lastSeq = new Map<string, number>();
    traffic.messages.forEach((m, k) => {
      const payload = eventPayloadSchema.parse(JSON.parse(m.payload));
      expect(payload.ts).toBe(m.ts);
      expect(['usage.start', 'usage.stop']).toContain(payload.type);
      if (k > 0) expect(m.ts).toBeGreaterThanOrEqual(traffic.messages[k - 1]!.ts);
      expect(m.seq).toBeGreaterThan(lastSeq.get(m.deviceId) ?? -1);
      lastSeq.set(m.deviceId, m.seq);
    });
  });
});
