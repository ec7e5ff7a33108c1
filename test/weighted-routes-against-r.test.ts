import type { WeightedEstimate } from '@parcours/contracts';
import { seededRandom } from '@parcours/sampling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRPackage } from '../tools/services/ensure-installed.js';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';
import { TestFleet } from './test-fleet.js';
import { type Reference, type ReferenceInput, weightedFiguresInR } from './weighted-figures-reference.js';

/**
 * Weighted route figures against R's survey package: a town of households publishes two weeks of mornings over
 * MQTT (the household's coffee machine naming its actor, then each person's own water heater), a panel is drawn
 * through the API by age band and loses members unevenly, a raking scheme weights it, and the activity, funnel,
 * retention and shared-usage routes answer with `weights`. R rakes the same members from the base weights and
 * strata the API reports, and estimates each figure from values this test computes from what it published.
 */
const minute = 60_000;
const day = 24 * 60 * minute;
const week0 = Date.UTC(2026, 2, 2); // a Monday
const iso = (ms: number) => new Date(ms).toISOString();
const random = seededRandom(2027);
const ageBands = ['18-34', '35-54', '55+'] as const;
const regions = ['north', 'south'] as const;
/** Chance of a morning, of a shower after the coffee, and of leaving the panel, by age band. */
const morning = [0.75, 0.5, 0.3];
const shower = [0.8, 0.55, 0.35];
const refusal = [0.4, 0.2, 0.05];

interface Person {
  id: string;
  household: string;
  ageBand: number;
  region: number;
  /** 0 or 1: the week of first use. */
  adoption: number;
  /** Leaves the panel if drawn. */
  leaves: boolean;
  /** Stops using anything after the first week. */
  churns: boolean;
  /** Their place in the household: household members take their coffee in turns. */
  turn: number;
}
interface Use {
  device: string;
  person: string;
  type: 'coffee_machine' | 'water_heater';
  start: number;
  minutes: number;
}

const people: Person[] = [];
for (let h = 0; h < 40; h++) {
  const region = random() < 0.6 ? 0 : 1;
  const size = 2 + (random() < 0.4 ? 1 : 0);
  for (let m = 0; m < size; m++) {
    const ageBand = Math.min(2, Math.floor(random() * 3));
    people.push({
      id: `p${h}-${m}`,
      household: `hh${h}`,
      ageBand,
      region,
      adoption: random() < 0.7 ? 0 : 1,
      leaves: random() < refusal[ageBand]!,
      churns: random() < 0.3,
      turn: m,
    });
  }
}
const uses: Use[] = [];
for (const p of people) {
  for (let d = p.adoption * 7; d < (p.churns ? 7 : 14); d++) {
    if (random() >= morning[p.ageBand]!) continue;
    // Turns of 40 minutes, so that sessions of one coffee machine never overlap.
    const start = week0 + d * day + 6 * 60 * minute + (p.turn * 40 + Math.floor(random() * 30)) * minute;
    uses.push({ device: `${p.household}-coffee`, person: p.id, type: 'coffee_machine', start, minutes: 5 });
    if (random() < shower[p.ageBand]!) uses.push({ device: `${p.id}-heater`, person: p.id, type: 'water_heater', start: start + 20 * minute, minutes: 8 });
  }
}
uses.sort((a, b) => a.start - b.start);

let app: ParcoursApp;
let fleet: TestFleet;
const panelId = 'town-panel';
const schemeId = 'town-weights';
const jackknifeId = 'town-jackknife';
const drawAt = Date.UTC(2026, 3, 1);
let members: { id: string; stratum: string; base: number }[];
const get = <T>(path: string) => api<T>(app.urls.http, 'GET', path);

beforeAll(async () => {
  ensureRPackage('survey');
  app = await startApp(
    testConfig({
      analytics: {
        sessionRules: {},
        actorInference: false,
        funnels: [{ name: 'morning', countBy: 'individual', window: '1h', steps: [{ deviceType: 'coffee_machine' }, { deviceType: 'water_heater' }] }],
      },
    }),
  );
  fleet = new TestFleet(app);
  const post = (path: string, body: unknown) => api(app.urls.http, 'POST', `/api/v1${path}`, body);
  const since = week0 - 28 * day;
  for (const household of new Set(people.map((p) => p.household))) {
    await post('/subjects', { id: household, kind: 'collective', type: 'household', name: household });
    await fleet.connect(`${household}-coffee`, 'coffee_machine', household, since);
  }
  for (const p of people) {
    const attributes = { age_band: ageBands[p.ageBand], region: regions[p.region] };
    await post('/subjects', { id: p.id, kind: 'individual', type: 'person', name: p.id, attributes });
    await post('/memberships', { individualId: p.id, collectiveId: p.household, validFrom: iso(since) });
    await fleet.connect(`${p.id}-heater`, 'water_heater', p.id, since);
  }
  for (const use of uses) await fleet.use(use.device, use.start, use.minutes, use.type === 'coffee_machine' ? use.person : undefined);
  await app.drained();

  // A panel of 70 by age band; the young leave it most.
  const design = { method: 'stratified', strata: ['age_band'] };
  const drawn = await post('/panels', { id: panelId, name: 'Town panel', at: iso(drawAt), size: 70, seed: 5, universe: { type: 'person' }, design });
  expect(drawn.status).toBe(201);
  const memberships = await get<{ items: { id: string; individualId: string; draw: { inclusionProbability: number; stratum: string } }[] }>(
    `/api/v1/memberships?collectiveId=${panelId}&limit=1000`,
  );
  const stayed = memberships.body.items.filter((m) => !people.find((p) => p.id === m.individualId)!.leaves);
  for (const m of memberships.body.items.filter((m) => !stayed.includes(m)))
    expect((await api(app.urls.http, 'PATCH', `/api/v1/memberships/${m.id}`, { validTo: iso(drawAt + day) })).status).toBe(200);
  members = stayed.map((m) => ({ id: m.individualId, stratum: m.draw.stratum, base: 1 / m.draw.inclusionProbability })).sort((a, b) => (a.id < b.id ? -1 : 1));

  const scheme = {
    id: schemeId,
    name: 'Town panel to the town',
    at: iso(drawAt + 2 * day),
    sample: { kind: 'panel', panelId },
    margins: [
      { variables: ['age_band'], targets: { from: 'universe' } },
      { variables: ['region'], targets: { from: 'universe' } },
    ],
    method: 'rake',
    convergence: { epsilon: 1e-12, maxit: 200 },
  };
  for (const [id, variance] of [
    [schemeId, 'linearization'],
    [jackknifeId, 'jackknife'],
  ]) {
    expect((await post('/weighting-schemes', { ...scheme, id, variance })).status).toBe(201);
    expect((await post(`/weighting-schemes/${id}/run`, {})).status).toBe(200);
  }
}, 240_000);

afterAll(async () => {
  await fleet?.close();
  await app?.stop();
});

/** A member's values, computed from what was published, as each figure defines them. */
function valuesOf(id: string): Record<string, number> {
  const person = people.find((p) => p.id === id)!;
  const mine = uses.filter((u) => u.person === id);
  const onDay = (d: number, type?: Use['type']) => mine.filter((u) => Math.floor((u.start - week0) / day) === d && (!type || u.type === type));
  const inWeek = (w: number) => mine.some((u) => Math.floor((u.start - week0) / (7 * day)) === w);
  const coffees = mine.filter((u) => u.type === 'coffee_machine' && u.start < week0 + 7 * day);
  const entered = coffees.length > 0;
  const converted = coffees.some((c) => mine.some((u) => u.type === 'water_heater' && u.start > c.start && u.start <= c.start + 60 * minute));
  const cohort0 = person.adoption === 0 && inWeek(0);
  return {
    active_d3: onDay(3).length > 0 ? 1 : 0,
    sessions_d3: onDay(3).length,
    heater_d10: onDay(10, 'water_heater').length > 0 ? 1 : 0,
    active_w1: inWeek(1) ? 1 : 0,
    entered: entered ? 1 : 0,
    converted: converted ? 1 : 0,
    cohort0: cohort0 ? 1 : 0,
    retained1: cohort0 && inWeek(1) ? 1 : 0,
    showers_w0: mine.filter((u) => u.type === 'water_heater' && u.start < week0 + 7 * day).length,
    coffee_user: coffees.length > 0 ? 1 : 0,
    coffee_seconds: coffees.length * 300,
  };
}

/** Runs R on the members, the universe's margins and the figures; answers its weights and estimates. */
function reference(variance: 'linearization' | 'jackknife', figures: ReferenceInput['figures']): Reference {
  const count = (levels: readonly string[], of: (p: Person) => number) =>
    levels.map((level, i) => ({ level, total: people.filter((p) => of(p) === i).length }));
  return weightedFiguresInR(variance, {
    members: members.map((m) => {
      const p = people.find((q) => q.id === m.id)!;
      return { ...m, ageBand: ageBands[p.ageBand]!, region: regions[p.region]!, values: valuesOf(m.id) };
    }),
    margins: { ageBand: count(ageBands, (p) => p.ageBand), region: count(regions, (p) => p.region) },
    figures,
  });
}

const figures = [
  { name: 'active_d3_share', kind: 'share', value: 'active_d3', domain: '' },
  { name: 'active_d3_total', kind: 'total', value: 'active_d3', domain: '' },
  { name: 'sessions_d3', kind: 'total', value: 'sessions_d3', domain: '' },
  { name: 'heater_d10_share', kind: 'share', value: 'heater_d10', domain: '' },
  { name: 'active_w1_share', kind: 'share', value: 'active_w1', domain: '' },
  { name: 'entered', kind: 'total', value: 'entered', domain: '' },
  { name: 'conversion', kind: 'share', value: 'converted', domain: 'entered' },
  { name: 'cohort0', kind: 'total', value: 'cohort0', domain: '' },
  { name: 'retained1', kind: 'share', value: 'retained1', domain: 'cohort0' },
  { name: 'coffee_users', kind: 'share', value: 'coffee_user', domain: '' },
  { name: 'coffee_to_shower', kind: 'total', value: 'showers_w0', domain: '' },
  { name: 'coffee_seconds', kind: 'total', value: 'coffee_seconds', domain: '' },
] as const;

/** Estimates within 1e-9 relative, standard errors and interval ends within 1e-6. */
function expectClose(actual: WeightedEstimate | null | undefined, name: string, ref: Reference): void {
  const expected = ref.estimates.get(name)!;
  expect(actual, name).toBeTruthy();
  expect(Math.abs(actual!.estimate - expected.estimate), `${name} estimate`).toBeLessThanOrEqual(1e-9 * Math.abs(expected.estimate));
  expect(Math.abs(actual!.standardError - expected.se) / expected.se, `${name} SE`).toBeLessThan(1e-6);
  expect(Math.abs(actual!.lower - expected.lower), `${name} lower`).toBeLessThan(1e-6 * (1 + Math.abs(expected.lower)));
  expect(Math.abs(actual!.upper - expected.upper), `${name} upper`).toBeLessThan(1e-6 * (1 + Math.abs(expected.upper)));
}

describe('weighted route figures against R', () => {
  let ref: Reference;
  beforeAll(() => {
    ref = reference('linearization', figures);
  });

  it('stores the weights R computes from the same base weights, strata and margins', async () => {
    const stored = await get<{ items: { individualId: string; weight: number }[] }>(`/api/v1/weighting-schemes/${schemeId}/weights?limit=1000`);
    expect(stored.body.items.map((w) => w.individualId)).toEqual(members.map((m) => m.id));
    for (const w of stored.body.items) expect(Math.abs(w.weight / ref.weights.get(w.individualId)! - 1)).toBeLessThan(1e-9);
  });

  it('estimates activity as R does, by day, device type and week', async () => {
    const days = await get<{ weighting: { n: number }; weighted: { start: string; deviceType: string | null; [k: string]: unknown }[] }>(
      `/api/v1/activity?period=day&from=${iso(week0)}&to=${iso(week0 + 14 * day)}&weights=${schemeId}`,
    );
    expect(days.status).toBe(200);
    expect(days.body.weighting.n).toBe(members.length);
    const at = (d: number, deviceType: string | null) => days.body.weighted.find((a) => a.start === iso(week0 + d * day) && a.deviceType === deviceType)!;
    expectClose(at(3, null).activeShare as WeightedEstimate, 'active_d3_share', ref);
    expectClose(at(3, null).activeSubjects as WeightedEstimate, 'active_d3_total', ref);
    expectClose(at(3, null).sessions as WeightedEstimate, 'sessions_d3', ref);
    expectClose(at(10, 'water_heater').activeShare as WeightedEstimate, 'heater_d10_share', ref);
    const weeks = await get<{ weighted: { start: string; deviceType: string | null; activeShare: WeightedEstimate }[] }>(
      `/api/v1/activity?period=week&from=${iso(week0)}&to=${iso(week0 + 14 * day)}&weights=${schemeId}`,
    );
    expectClose(weeks.body.weighted.find((a) => a.start === iso(week0 + 7 * day) && a.deviceType === null)!.activeShare, 'active_w1_share', ref);
  });

  it('estimates a funnel and its conversion within those who entered as R does on the subset', async () => {
    const funnel = await get<{ entered: number; weighted: { entered: WeightedEstimate; conversion: WeightedEstimate } }>(
      `/api/v1/funnels/morning?from=${iso(week0)}&to=${iso(week0 + 7 * day)}&weights=${schemeId}`,
    );
    expect(funnel.status).toBe(200);
    // The unweighted count over everyone agrees with this test's reading of the funnel.
    expect(funnel.body.entered).toBe(people.filter((p) => valuesOf(p.id).entered === 1).length);
    expectClose(funnel.body.weighted.entered, 'entered', ref);
    expectClose(funnel.body.weighted.conversion, 'conversion', ref);
    expect(funnel.body.weighted.conversion.n).toBe(members.filter((m) => valuesOf(m.id).entered === 1).length);
  });

  it('estimates retention of a cohort as R does on the subset', async () => {
    const retention = await get<{
      weighted: { cohorts: { week: string; size: WeightedEstimate; retained: { weekOffset: number; share: WeightedEstimate }[] }[] };
    }>(`/api/v1/retention?kind=individual&from=${iso(week0)}&to=${iso(week0 + 14 * day)}&weeks=1&weights=${schemeId}`);
    expect(retention.status).toBe(200);
    const cohort = retention.body.weighted.cohorts.find((c) => c.week === iso(week0))!;
    expectClose(cohort.size, 'cohort0', ref);
    expectClose(cohort.retained.find((r) => r.weekOffset === 1)!.share, 'retained1', ref);
  });

  it('estimates transitions in journeys as R does', async () => {
    const transitions = await get<{ weighted: { fromType: string; toType: string; count: WeightedEstimate; people: WeightedEstimate }[] }>(
      `/api/v1/transitions?from=${iso(week0)}&to=${iso(week0 + 7 * day)}&weights=${schemeId}`,
    );
    // Every shower follows a coffee within the journey gap: each is one coffee → shower step.
    const pair = transitions.body.weighted.find((t) => t.fromType === 'coffee_machine' && t.toType === 'water_heater')!;
    expectClose(pair.count, 'coffee_to_shower', ref);
  });

  it('estimates by jackknife replicates (JKn by draw stratum) as R does on its replicate design', async () => {
    const jackknife = reference('jackknife', figures);
    const days = await get<{ weighting: { variance: string }; weighted: { start: string; deviceType: string | null; activeShare: WeightedEstimate }[] }>(
      `/api/v1/activity?period=day&from=${iso(week0)}&to=${iso(week0 + 14 * day)}&weights=${jackknifeId}`,
    );
    expect(days.body.weighting.variance).toBe('JKn');
    expectClose(days.body.weighted.find((a) => a.start === iso(week0 + 3 * day) && a.deviceType === null)!.activeShare, 'active_d3_share', jackknife);
    const funnel = await get<{ weighted: { entered: WeightedEstimate; conversion: WeightedEstimate } }>(
      `/api/v1/funnels/morning?from=${iso(week0)}&to=${iso(week0 + 7 * day)}&weights=${jackknifeId}`,
    );
    expectClose(funnel.body.weighted.entered, 'entered', jackknife);
    expectClose(funnel.body.weighted.conversion, 'conversion', jackknife);
  });

  it('answers as without weights when none are asked for, and refuses weights where they do not apply', async () => {
    const plain = await get<Record<string, unknown>>(`/api/v1/activity?from=${iso(week0)}&to=${iso(week0 + 7 * day)}`);
    expect(Object.keys(plain.body)).toEqual(['items']);
    const collectives = await get<{ code: string }>(`/api/v1/retention?kind=collective&from=${iso(week0)}&to=${iso(week0 + 7 * day)}&weights=${schemeId}`);
    expect([collectives.status, collectives.body.code]).toEqual([422, 'PARCOURS_E_WEIGHTS_INDIVIDUALS_ONLY']);
    const unknown = await get<{ code: string }>(`/api/v1/activity?from=${iso(week0)}&to=${iso(week0 + 7 * day)}&weights=nobody`);
    expect(unknown.status).toBe(404);
  });

  it("estimates people's use of their households' devices as R does", async () => {
    const shared = await get<{ weighted: { deviceType: string; userShare: WeightedEstimate; durationS: WeightedEstimate }[] }>(
      `/api/v1/shared-usage?from=${iso(week0)}&to=${iso(week0 + 7 * day)}&weights=${schemeId}`,
    );
    const coffee = shared.body.weighted.find((s) => s.deviceType === 'coffee_machine')!;
    expectClose(coffee.userShare, 'coffee_users', ref);
    expectClose(coffee.durationS, 'coffee_seconds', ref);
  });
});
