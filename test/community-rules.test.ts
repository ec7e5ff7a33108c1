import { errorCodes } from '@parcours/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';
import { TestFleet } from './test-fleet.js';

/**
 * Communities recruited on behaviour through the real app: four households of three people use their
 * coffee machine and water heater over five weeks (published over MQTT, sessions derived by the
 * analytics), a panel holds all twelve, and communities are recruited on a funnel step reached and on
 * weeks retained. Who was recruited is checked against the funnel and retention routes and against each
 * member's own sessions, never against counts written here.
 */
const minute = 60_000;
const day = 24 * 60 * minute;
const week = 7 * day;
const week0 = Date.UTC(2026, 2, 2); // a Monday
const weeks = 5;
const iso = (ms: number) => new Date(ms).toISOString();
const people = Array.from({ length: 12 }, (_, i) => ({ id: `p${String(i).padStart(2, '0')}`, household: `h${Math.floor(i / 3)}`, slot: i % 3 }));
const funnelWindow = 60 * minute;

let app: ParcoursApp;
let fleet: TestFleet;
const post = <T>(path: string, body: unknown) => api<T>(app.urls.http, 'POST', `/api/v1${path}`, body);
const get = <T>(path: string) => api<T>(app.urls.http, 'GET', `/api/v1${path}`);

/** Park–Miller's generator, seeded: the same five weeks on every run. */
let state = 7;
const random = () => (state = (state * 48_271) % 2_147_483_647) / 2_147_483_647;

/**
 * Each person's mornings: in a week they are active (more likely for some people than others), a coffee on
 * one or more weekdays in their own slot, then often the water heater ten minutes later (the funnel's
 * second step), sometimes seventy (past its window), sometimes not at all.
 */
function mornings(): { device: string; ts: number; type: string; actor: string }[] {
  const events: { device: string; ts: number; type: string; actor: string }[] = [];
  const use = (device: string, start: number, minutes: number, actor: string) =>
    events.push({ device, ts: start, type: 'usage.start', actor }, { device, ts: start + minutes * minute, type: 'usage.stop', actor });
  people.forEach((person, i) => {
    const activeWeekly = 0.2 + (0.75 * i) / (people.length - 1);
    for (let w = 0; w < weeks; w++) {
      if (random() >= activeWeekly) continue;
      for (let d = 0; d < 5; d++) {
        if (random() < 0.5) continue;
        const coffee = week0 + w * week + d * day + 6 * 60 * minute + person.slot * 40 * minute;
        use(`${person.household}-cm`, coffee, 5, person.id);
        const heater = random();
        if (heater < 0.5) use(`${person.household}-wh`, coffee + 10 * minute, 10, person.id);
        else if (heater < 0.7) use(`${person.household}-wh`, coffee + 70 * minute, 10, person.id);
      }
    }
  });
  return events.sort((a, b) => a.ts - b.ts);
}

/** The sessions counted for a person (their own, or those they used as reported actor) starting in `[from, to)`. */
async function sessionsOf(id: string, from: number, to: number): Promise<{ deviceType: string; start: number }[]> {
  const answer = await get<{ items: { deviceType: string; start: string }[] }>(`/subjects/${id}/sessions?from=${iso(from)}&to=${iso(to)}&limit=10000`);
  expect(answer.status).toBe(200);
  return answer.body.items.map((s) => ({ deviceType: s.deviceType, start: Date.parse(s.start) }));
}

async function recruitedIn(communityId: string): Promise<string[]> {
  const page = await get<{ items: { individualId: string }[] }>(`/memberships?collectiveId=${communityId}&limit=1000`);
  return page.body.items.map((m) => m.individualId).sort();
}

beforeAll(async () => {
  const steps = [{ deviceType: 'coffee_machine' }, { deviceType: 'water_heater' }];
  app = await startApp(
    testConfig({
      analytics: {
        sessionRules: {},
        actorInference: false,
        funnels: [
          { name: 'morning', countBy: 'individual', window: '1h', steps },
          { name: 'home-morning', countBy: 'collective', window: '1h', steps },
        ],
      },
    }),
  );
  fleet = new TestFleet(app);
  const since = week0 - 28 * day;
  for (const household of new Set(people.map((p) => p.household))) {
    await post('/subjects', { id: household, kind: 'collective', type: 'household', name: household });
    await fleet.connect(`${household}-cm`, 'coffee_machine', household, since);
    await fleet.connect(`${household}-wh`, 'water_heater', household, since);
  }
  for (const person of people) {
    await post('/subjects', { id: person.id, kind: 'individual', type: 'person', name: person.id, attributes: { household: person.household } });
    await post('/memberships', { individualId: person.id, collectiveId: person.household, validFrom: iso(since) });
  }
  for (const e of mornings()) await fleet.event(e.device, e.ts, e.type, e.actor);
  await app.drained();
  // Everyone, drawn before the first morning: the communities are recruited among all of them.
  const panel = await post('/panels', {
    id: 'everyone',
    name: 'Everyone',
    at: iso(week0),
    size: people.length,
    seed: 1,
    universe: { type: 'person' },
    design: { method: 'stratified', strata: ['household'] },
  });
  expect(panel.status).toBe(201);
}, 120_000);

afterAll(async () => {
  await fleet?.close();
  await app?.stop();
});

/** The day after the five weeks, a Monday: nothing happened after it. */
const at = week0 + weeks * week;
const community = (id: string, rules: Record<string, unknown>, when = at) => ({
  id,
  name: id,
  panelId: 'everyone',
  at: iso(when),
  size: 100,
  minSize: 1,
  ...rules,
});

describe('a panel as of a date', () => {
  it('is among the collectives of its members’ sessions since they joined', async () => {
    for (const person of people) {
      const sessions = await get<{ items: { start: string; collectives: string[] }[] }>(
        `/subjects/${person.id}/sessions?from=${iso(week0)}&to=${iso(at)}&status=all&limit=1000`,
      );
      expect(sessions.body.items.length).toBeGreaterThan(0);
      for (const s of sessions.body.items) expect(s.collectives).toEqual(expect.arrayContaining([person.household, 'everyone']));
    }
  });
});

describe('a community of those who reached a funnel step', () => {
  const within = 14 * day;
  const reachedFunnel = { funnels: [{ funnel: 'morning', step: 2, within: '14d' }] };

  it('holds as many as the funnel route counts at that step, over the same window', async () => {
    const funnel = await get<{ steps: { reached: number }[] }>(`/funnels/morning?from=${iso(at - within)}&to=${iso(at)}`);
    for (const step of [1, 2]) {
      const dry = await post<{ eligible: number }>('/communities', {
        ...community(`dry-${step}`, { funnels: [{ funnel: 'morning', step, within: '14d' }] }),
        dryRun: true,
      });
      expect(dry.status).toBe(200);
      expect(dry.body.eligible, `step ${step}`).toBe(funnel.body.steps[step - 1]!.reached);
    }
    expect(funnel.body.steps[1]!.reached).toBeGreaterThan(0);
    expect(funnel.body.steps[1]!.reached).toBeLessThan(funnel.body.steps[0]!.reached);
  });

  it('recruits exactly the people whose own sessions show a coffee then the water heater within the hour', async () => {
    const recruited = await post<{ recruited: number }>('/communities', community('heater-after-coffee', reachedFunnel));
    expect(recruited.status).toBe(201);
    const members = await recruitedIn('heater-after-coffee');
    expect(members).toHaveLength(recruited.body.recruited);
    for (const person of people) {
      const sessions = await sessionsOf(person.id, at - within, at);
      const coffees = sessions.filter((s) => s.deviceType === 'coffee_machine');
      const reached = coffees.some((c) => sessions.some((s) => s.deviceType === 'water_heater' && s.start > c.start && s.start <= c.start + funnelWindow));
      expect(members.includes(person.id), person.id).toBe(reached);
    }
  });

  it('refuses, naming it, a funnel counted by collective, an unknown one, and a step past the last', async () => {
    for (const [funnel, step] of [
      ['home-morning', 1],
      ['evening', 1],
      ['morning', 3],
    ] as const) {
      const refused = await post<{ code: string; detail: string }>('/communities', community(`refused-${funnel}`, { funnels: [{ funnel, step }] }));
      expect(refused, funnel).toMatchObject({ status: 400, body: { code: errorCodes.validation } });
      expect(refused.body.detail).toContain(`"${funnel}"`);
    }
    expect((await get('/subjects/refused-morning')).status).toBe(404);
  });
});

describe('a community of those retained over whole weeks', () => {
  /** Per person, the ISO weeks in `[from, to)` in which a session counted for them started. */
  async function activeWeeks(from: number, to: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const person of people) {
      const sessions = await sessionsOf(person.id, from, to);
      counts.set(person.id, new Set(sessions.map((s) => Math.floor((s.start - week0) / week))).size);
    }
    return counts;
  }

  it('recruits exactly the people active in at least 3 of the 4 weeks before the date, as retention counts them', async () => {
    const recruited = await post<{ recruited: number }>('/communities', community('regulars', { retained: { weeks: 3, within: '4w' } }));
    expect(recruited.status).toBe(201);
    const members = await recruitedIn('regulars');
    const counted = await activeWeeks(at - 4 * week, at);
    expect(members).toEqual(people.filter((p) => counted.get(p.id)! >= 3).map((p) => p.id));
    expect(members.length).toBeGreaterThan(0);
    expect(members.length).toBeLessThan(people.length);
    // The retention route counts the same active weeks: each week's active people are its new, returning and resurrecting.
    const retention = await get<{ lifecycle: { new: number; returning: number; resurrecting: number }[] }>(
      `/retention?from=${iso(at - 4 * week)}&to=${iso(at)}&kind=individual&weeks=0`,
    );
    const activeByWeek = retention.body.lifecycle.map((w) => w.new + w.returning + w.resurrecting);
    expect(activeByWeek.reduce((a, b) => a + b, 0)).toBe([...counted.values()].reduce((a, b) => a + b, 0));
  });

  it('reads the same window written in days, and leaves out the week of a date inside it', async () => {
    const dry = async (within: string) =>
      (await post<{ eligible: number }>('/communities', { ...community('dry', { retained: { weeks: 2, within } }), dryRun: true })).body.eligible;
    expect(await dry('28d')).toBe(await dry('4w'));
    // From a Thursday, the four weeks are those before its own: its Monday to Wednesday do not count.
    const thursday = week0 + (weeks - 1) * week + 3 * day;
    const monday = thursday - 3 * day;
    expect((await post('/communities', community('thursday-regulars', { retained: { weeks: 3, within: '4w' } }, thursday))).status).toBe(201);
    const members = await recruitedIn('thursday-regulars');
    const retained = async (from: number, to: number) => [...(await activeWeeks(from, to))].filter(([, n]) => n >= 3).map(([id]) => id);
    expect(members).toEqual(await retained(monday - 4 * week, monday));
    // Counting the weeks the 28 days up to the Thursday touch would recruit others.
    expect(members).not.toEqual(await retained(thursday - 4 * week, thursday));
  });

  it('takes a funnel step and weeks retained together: those in both communities', async () => {
    const both = await post<{ eligible: number }>('/communities', {
      ...community('dry-both', { funnels: [{ funnel: 'morning', step: 2, within: '14d' }], retained: { weeks: 3, within: '4w' } }),
      dryRun: true,
    });
    const regulars = new Set(await recruitedIn('regulars'));
    expect(both.body.eligible).toBe((await recruitedIn('heater-after-coffee')).filter((id) => regulars.has(id)).length);
  });

  it('refuses more weeks than the window holds, and a window that is not whole weeks', async () => {
    const tooMany = await post<{ code: string; errors: { path: string }[] }>('/communities', community('r1', { retained: { weeks: 5, within: '4w' } }));
    expect(tooMany).toMatchObject({ status: 400, body: { code: errorCodes.validation, errors: [{ path: 'body.retained.weeks' }] } });
    const partial = await post<{ code: string; errors: { path: string }[] }>('/communities', community('r2', { retained: { weeks: 2, within: '30d' } }));
    expect(partial).toMatchObject({ status: 400, body: { code: errorCodes.validation, errors: [{ path: 'body.retained.within' }] } });
  });
});
