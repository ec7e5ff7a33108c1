import {
  stepKey,
  WeightedFigures,
  weekNumber,
  weightedActivity,
  weightedFunnel,
  weightedRetention,
  type ActivitySession,
  type Occurrence,
  type SubjectActivity,
} from '@parcours/analytics';
import { funnelSchema, type WeightedEstimate } from '@parcours/contracts';
import { customerId, funnelTruth, generateCustomerBase, generateUsage, sessionsOf, usageDeviceTypes, usageTruth } from '@parcours/firmware-sim';
import { derivedSeed, seededRandom, stratifiedDraw } from '@parcours/sampling';
import { rake, type Margin } from '@parcours/weighting';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Are the product's weighted figures right? A simulated base of 20,000 customers and what each of them did
 * with two devices over five weeks is the ground truth. Two hundred panels are drawn from it (stratified by age
 * band × household size, the old oversampled), the young refuse more, the respondents are raked as a scheme
 * would (base weights 1/π, strata of the draw, margins the base's counts), and the product's figure functions
 * are fed the respondents' sessions. Over the draws, each figure's 95% interval must hold the base's true figure
 * about 95% of the time, and the weighted estimate must be nearer to it than the unweighted one.
 */

const day = 86_400_000;
const week = 7 * day;
const startsAt = Date.UTC(2026, 2, 2);
const from = startsAt + 2 * week;
const weeks = 5;
const draws = 200;

const ageBands = ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'];
/** Sampling fractions by age band (the old oversampled), at least `minPerCell` per cell so that no stratum is left with one respondent. */
const fractions = [0.03, 0.04, 0.05, 0.06, 0.08, 0.1];
const minPerCell = 30;
/** Who answers, by age band: the young refuse most. */
const response = [0.35, 0.5, 0.65, 0.75, 0.85, 0.9];

const funnel = funnelSchema.parse({ name: 'morning', steps: usageDeviceTypes.map((deviceType) => ({ deviceType })), window: '1h', countBy: 'individual' });
const firstWeek = weekNumber(from);
/** The same day or week in every draw: the sessions starting in it, as the activity route reads them from the store. */
const periods = { day: { start: from + 9 * day, length: day }, week: { start: from + 2 * week, length: week } } as const;
const funnelRange = { from: from + week, to: from + 2 * week };
const figureNames = ['day active share', 'week active share', 'funnel conversion', 'cohort retention', 'dormant count'] as const;
type FigureName = (typeof figureNames)[number];

let base: ReturnType<typeof generateCustomerBase>;
let truths: Record<FigureName, number>;
/** Each customer's sessions as the product's figure functions take them. */
let activity: ActivitySession[][];
let occurrences: Occurrence[][];
let activeWeeks: (SubjectActivity | null)[];
let margins: Margin[];
/** The base as the draw sees it: each customer (by index) in their stratum, and each stratum's sample size. */
let units: { id: string; cell: string }[];
let cells: { key: string; allocated: number }[];

beforeAll(() => {
  base = generateCustomerBase({ size: 20_000, seed: 5, startsAt });
  const usage = generateUsage(base, { seed: 5, from, weeks });
  const truth = usageTruth(usage);
  truths = {
    'day active share': truth.days[(periods.day.start - from) / day]!.share,
    'week active share': truth.weeks[(periods.week.start - from) / week]!.share,
    'funnel conversion': funnelTruth(usage, funnelRange.from, funnelRange.to).conversion!,
    'cohort retention': truth.cohorts[0]!.retained[2]!.share,
    'dormant count': truth.lifecycle[2]!.dormant,
  };
  const { customers } = base;
  activity = [];
  occurrences = [];
  activeWeeks = [];
  for (let i = 0; i < customers.count; i++) {
    const id = customerId(customers, i);
    const sessions = sessionsOf(usage, i);
    activity.push(
      sessions.map((s, k) => ({
        id: `${id}.${k}`,
        deviceId: `${id}.${s.deviceType}`,
        deviceType: s.deviceType,
        subjectId: id,
        subjectType: 'person',
        actor: null,
        start: s.start,
      })),
    );
    occurrences.push(sessions.map((s) => ({ subjectId: id, ts: s.start, key: stepKey({ deviceType: s.deviceType }) })));
    const active = new Set(sessions.map((s) => weekNumber(s.start)));
    activeWeeks.push(sessions.length === 0 ? null : { first: Math.min(...active), active });
  }
  const counted = (variable: string, level: (i: number) => string): Margin => {
    const totals = new Map<string, number>();
    for (let i = 0; i < customers.count; i++) totals.set(level(i), (totals.get(level(i)) ?? 0) + 1);
    return { variables: [variable], cells: [...totals].map(([value, total]) => ({ levels: { [variable]: value }, total })) };
  };
  units = Array.from({ length: customers.count }, (_, i) => ({
    id: String(i),
    cell: `age_band=${ageBands[customers.ageBand[i]!]}|household_size=${customers.householdSize[i]}`,
  }));
  const sizes = new Map<string, number>();
  for (const u of units) sizes.set(u.cell, (sizes.get(u.cell) ?? 0) + 1);
  cells = [...sizes].map(([key, size]) => {
    const age = ageBands.indexOf(key.slice('age_band='.length, key.indexOf('|')));
    return { key, allocated: Math.min(size, Math.max(minPerCell, Math.round(fractions[age]! * size))) };
  });
  margins = [counted('age_band', (i) => ageBands[customers.ageBand[i]!]!), counted('household_size', (i) => String(customers.householdSize[i]))];
});

/** One panel drawn, its non-response, its weighting and the product's figures from its respondents' sessions. */
/** One panel drawn, its non-response, its weighting and the product's figures from its respondents' sessions. */
function panelFigures(seed: number): Record<FigureName, WeightedEstimate> & { respondents: number } {
  const { customers } = base;
  const drawn = stratifiedDraw(units, { cells }, seed);
  // Non-response from a stream of its own, independent of the draw's.
  const random = seededRandom(derivedSeed(seed, 'non-response'));
  const respondents = drawn.filter((u) => random() < response[customers.ageBand[Number(u.id)]!]!);
  const people = respondents.map((u) => Number(u.id));
  const weighting = rake(
    {
      levels: {
        age_band: people.map((i) => ageBands[customers.ageBand[i]!]!),
        household_size: people.map((i) => String(customers.householdSize[i])),
      },
      baseWeights: respondents.map((u) => 1 / u.inclusionProbability),
      strata: respondents.map((u) => u.cell),
    },
    margins,
  );
  const ids = people.map((i) => customerId(customers, i));
  const figures = new WeightedFigures({ schemeId: 'coverage', version: 1, at: startsAt, ranAt: startsAt, ids, weighting });
  const activeShare = (period: keyof typeof periods) => {
    const { start, length } = periods[period];
    const sessions = people.flatMap((i) => activity[i]!.filter((s) => s.start >= start && s.start < start + length));
    return weightedActivity(sessions, period, [start], figures, true).find((a) => a.deviceType === null)!.activeShare;
  };
  // What the funnel route reads: occurrences from the range's start to a window past its end.
  const found = people.flatMap((i) => occurrences[i]!.filter((o) => o.ts >= funnelRange.from && o.ts < funnelRange.to + funnel.window));
  const activeIn = new Map(people.flatMap((i, k) => (activeWeeks[i] ? [[ids[k]!, activeWeeks[i]!] as const] : [])));
  // The cohort of the first week followed two weeks, and the lifecycle of the third week.
  const cohort = weightedRetention(activeIn, { firstWeek, lastWeek: firstWeek, weeks: 2 }, figures).cohorts[0]!;
  const lifecycle = weightedRetention(activeIn, { firstWeek: firstWeek + 2, lastWeek: firstWeek + 2, weeks: 0 }, figures).lifecycle[0]!;
  return {
    respondents: people.length,
    'day active share': activeShare('day'),
    'week active share': activeShare('week'),
    'funnel conversion': weightedFunnel(funnel, funnelRange.from, funnelRange.to, found, figures).conversion!,
    'cohort retention': cohort.retained[2]!.share!,
    'dormant count': lifecycle.dormant,
  };
}

describe('weighted figures against the whole base', () => {
  it('cover the true figure about 95% of the time, nearer to it than the unweighted ones', () => {
    const covered = Object.fromEntries(figureNames.map((name) => [name, 0])) as Record<FigureName, number>;
    const weightedError = { ...covered };
    const unweightedError = { ...covered };
    for (let seed = 1; seed <= draws; seed++) {
      const panel = panelFigures(seed);
      for (const name of figureNames) {
        const figure = panel[name];
        const truth = truths[name];
        if (figure.lower <= truth && truth <= figure.upper) covered[name]++;
        weightedError[name] += Math.abs(figure.estimate - truth) / draws;
        // A count's unweighted estimate: the sample's count scaled up to the base by the respondents' share of it.
        const unweighted = name === 'dormant count' ? (figure.sampleValue * base.customers.count) / panel.respondents : figure.sampleValue;
        unweightedError[name] += Math.abs(unweighted - truth) / draws;
      }
    }
    const coverage = figureNames.map((name) => covered[name] / draws);
    console.info(
      figureNames
        .map(
          (name, k) =>
            `${name}: truth ${truths[name].toFixed(4)}, coverage ${coverage[k]}, MAE weighted ${weightedError[name].toFixed(5)} vs unweighted ${unweightedError[name].toFixed(5)}`,
        )
        .join('\n'),
    );
    // Each figure's coverage over 200 independent draws is Binomial(200, 0.95)/200 when the intervals are right:
    // standard deviation √(0.95·0.05/200) ≈ 0.015, so [0.90, 0.995] is about 3 standard deviations either side
    // (0.995 allows for intervals a little wide, as they are without the finite population correction).
    for (const [k, name] of figureNames.entries()) {
      expect(coverage[k], name).toBeGreaterThanOrEqual(0.9);
      expect(coverage[k], name).toBeLessThanOrEqual(0.995);
    }
    // Their mean: at most the same spread if the five figures went together, 0.015/√5 ≈ 0.007 if independent;
    // [0.93, 0.98] is 1.3 to 3 of those either side of 0.95.
    const mean = coverage.reduce((a, b) => a + b, 0) / coverage.length;
    expect(mean).toBeGreaterThanOrEqual(0.93);
    expect(mean).toBeLessThanOrEqual(0.98);
    for (const name of figureNames) expect(weightedError[name], name).toBeLessThan(unweightedError[name]);
  });
});
