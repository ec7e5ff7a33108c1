import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { surveyResultsSchema, type WeightedEstimate } from '@parcours/contracts';
import {
  ageBands,
  CustomerBaseClient,
  PromptAnswerer,
  npsOf,
  plantedNpsScore,
  pushCustomerBase,
  usageDeviceTypes,
  writeCustomerBase,
} from '@parcours/firmware-sim';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, api, startApp, testConfig } from './helpers.js';
import { waitUntil } from './mqtt-clients.js';
import { allocation, baseMargins, behaviour, type PlantedPerson, plantedWorld, questionId, startsAt, surveyDefinition, surveyId } from './planted-nps.js';
import { expectLateRefused, expectStoredAsPlanted, sentPrompts } from './simulated-answers.js';
import { TestFleet } from './test-fleet.js';

/**
 * The weighted NPS of a panel against the planted base's true NPS, through the product: the base of
 * test/planted-nps.ts pushed, a panel drawn unevenly by age band, each member's devices and app registered, their
 * week before published over MQTT, then one real coffee session each, which prompts them; the simulated members
 * reply from their apps over MQTT as planted (the young least, less in their evening, some late). What Parcours
 * keeps must be those replies exactly, and its count of their week before the planted one. A scheme of the survey's respondents rakes them
 * to the base, and `GET /surveys/{id}/results?weights=` must give a weighted NPS whose interval holds the base's
 * true NPS, nearer to it than the raw NPS of the respondents.
 */
const minute = 60_000;
const day = 24 * 60 * minute;
const iso = (ms: number) => new Date(ms).toISOString();
const appOf = (personId: string) => `app-${personId}`;

const { base, people, truth, weekEnds } = plantedWorld();
const byId = new Map(people.map((p) => [p.id, p]));

/** A fixed-offset zone whose clock reads `hour` o'clock at `at`: the planted time of day, whatever the run's clock says. */
function zoneAt(at: number, hour: number): string {
  const offset = ((((hour - new Date(at).getUTCHours()) % 24) + 36) % 24) - 12;
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

/** `work` for every item, twenty at a time (results in order): each member's devices and session are their own. */
async function inGroups<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let k = 0; k < items.length; k += 20) results.push(...(await Promise.all(items.slice(k, k + 20).map(work))));
  return results;
}

let app: ParcoursApp;
let dir: string;
let fleet: TestFleet;
let answerer: PromptAnswerer;
let members: PlantedPerson[];
let respondents: Set<string>;
const t0 = Date.now() - 10 * minute;

const call = <T>(method: string, path: string, body?: unknown) => api<T>(app.urls.http, method, `/api/v1${path}`, body);

beforeAll(async () => {
  app = await startApp(testConfig());
  fleet = new TestFleet(app);
  dir = mkdtempSync(join(tmpdir(), 'parcours-nps-truth-'));
  await writeCustomerBase(base, dir);
  await pushCustomerBase(dir, new CustomerBaseClient({ apiUrl: app.urls.http, apiKey: adminKey(), logger: pino({ level: 'silent' }) }));
  const given = Object.fromEntries(Object.entries(allocation).map(([ageBand, n]) => [`age_band=${ageBand}`, n]));
  const size = Object.values(allocation).reduce((a, b) => a + b, 0);
  const panel = {
    id: 'nps-panel',
    name: 'NPS panel',
    at: iso(startsAt + day),
    size,
    seed: 2,
    design: { method: 'stratified', strata: ['age_band'], allocation: { given } },
  };
  expect((await call('POST', '/panels', panel)).status).toBe(201);
  const listed = await call<{ items: { individualId: string }[] }>('GET', `/memberships?collectiveId=nps-panel&limit=${size}`);
  members = listed.body.items.map((m) => byId.get(m.individualId)!);
  expect(members).toHaveLength(size);
  expect((await call('POST', '/surveys', { id: surveyId, ...surveyDefinition, startsAt: iso(t0 - 60 * minute) })).status).toBe(201);

  const devices = await inGroups(members, async (person) => {
    const created = await call<{ credentials: { secret: string } }>('POST', '/devices', { id: appOf(person.id), type: 'app' });
    await call('POST', `/devices/${appOf(person.id)}/assignments`, { subjectId: person.id, validFrom: iso(startsAt) });
    for (const type of usageDeviceTypes)
      if (type === 'coffee_machine' || person.weekBefore.some((s) => s.deviceType === type))
        await fleet.connect(`${type}-${person.id}`, type, person.id, startsAt);
    // Asked at noon or late in the evening of their own clock, as planted.
    return {
      deviceId: appOf(person.id),
      auth: { username: appOf(person.id), password: created.body.credentials.secret },
      person: { ...person, timeZone: zoneAt(t0, person.evening ? 23 : 12) },
    };
  });
  // One prompt per person: their replies drawn by who they are, the same in every run whatever the prompts' ids.
  answerer = await PromptAnswerer.start(devices, {
    mqttUrl: app.urls.mqtt,
    baseTopic: app.config.mqtt.baseTopic,
    behaviour,
    logger: pino({ level: 'silent' }),
    drawKey: (_, person) => person.id,
  });
  // Their week before, moved to end as the session that prompts them starts (its sessions, mornings and evenings,
  // end hours before: before the survey starts), then that session.
  await inGroups(members, async (person) => {
    for (const s of person.weekBefore) await fleet.use(`${s.deviceType}-${person.id}`, s.start + t0 - weekEnds, (s.end - s.start) / minute);
    await fleet.use(`coffee_machine-${person.id}`, t0, 3);
  });
  await waitUntil(() => {
    const sent = sentPrompts(app, surveyId);
    return sent.length === members.length && sent.every((p) => answerer.truths.has(p.promptId));
  }, 60_000);
  await answerer.idle();
  await app.surveyReplies.caughtUp();
  respondents = new Set([...answerer.truths.values()].filter((t) => t.kind === 'answer' && !t.late).map((t) => t.personId));
}, 120_000);

afterAll(async () => {
  await answerer?.close();
  await fleet?.close();
  await app?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the weighted NPS of a panel, through the product', () => {
  it('keeps every reply as planted: answers in time with their values and times, dismissals; late answers refused', async () => {
    const truths = expectStoredAsPlanted(app, surveyId, answerer);
    expect(new Set(truths.map((t) => t.personId))).toEqual(new Set(members.map((m) => m.id)));
    for (const t of truths) {
      const person = byId.get(t.personId)!;
      // Asked at the time of day planted for them: the answer chance of their age band, lowered in their evening.
      expect(t.answerChance).toBeCloseTo(behaviour.answerByAgeBand[ageBands.indexOf(person.ageBand)]! * (person.evening ? behaviour.eveningFactor : 1), 12);
      if (t.kind === 'answer') expect(t.values![questionId]).toBe(plantedNpsScore(behaviour, t.personId, questionId, person.sessionsBefore));
    }
    await expectLateRefused(app, answerer, appOf);
    for (const kind of ['answer', 'dismiss', 'ignore']) expect(truths.some((t) => t.kind === kind)).toBe(true);
  });

  it('counts each member’s sessions of the week before as planted: the NPS by recent use is the planted one', async () => {
    const band = (sessions: number) => (sessions === 0 ? '0' : sessions <= 2 ? '1-2' : sessions <= 5 ? '3-5' : '6+');
    const scores = new Map(
      [...answerer.truths.values()].filter((t) => t.kind === 'answer' && !t.late).map((t) => [t.personId, t.values![questionId] as number]),
    );
    const expected = new Map<string, { sent: number; scores: number[] }>();
    for (const person of members) {
      const group = expected.get(band(person.sessionsBefore)) ?? { sent: 0, scores: [] };
      group.sent++;
      if (scores.has(person.id)) group.scores.push(scores.get(person.id)!);
      expected.set(band(person.sessionsBefore), group);
    }
    // The prompts of the sessions that prompted them (those of the week before came before the survey started).
    const results = await call<unknown>('GET', `/surveys/${surveyId}/results?by=recentUse&from=${iso(t0)}`);
    expect(results.status).toBe(200);
    const groups = surveyResultsSchema.parse(results.body).groups.map((g) => {
      const question = g.questions[0]!;
      return { value: g.value, sent: g.sent, answered: question.answered, nps: question.kind === 'nps' ? question.nps : undefined };
    });
    const planted = [...expected].map(([value, g]) => ({
      value,
      sent: g.sent,
      answered: g.scores.length,
      nps: g.scores.length === 0 ? null : npsOf(g.scores),
    }));
    const byValue = (a: { value: string | null }, b: { value: string | null }) => String(a.value).localeCompare(String(b.value));
    expect(groups.sort(byValue)).toEqual(planted.sort(byValue));
    // Heavier users score higher: the planted effect, read back by Parcours' own count of their use.
    expect(planted.find((g) => g.value === '6+')!.nps!).toBeGreaterThan(planted.find((g) => g.value === '1-2')!.nps!);
  });

  it('holds the true NPS of the whole base in its interval, nearer to it than the raw NPS', async () => {
    // The scheme weights the members who answered by its date (replies are timed by the app, some after now), from
    // their draw's base weights, to the whole base.
    const lastAnswer = Math.max(...[...answerer.truths.values()].filter((t) => t.kind === 'answer' && !t.late).map((t) => t.at!));
    const scheme = {
      id: 'nps-respondents',
      name: 'Respondents to the base',
      at: iso(Math.max(Date.now(), lastAnswer) + 1),
      sample: { kind: 'panel', panelId: 'nps-panel' },
      respondentsOf: surveyId,
      margins: [
        { variables: ['age_band'], targets: { from: 'universe' } },
        { variables: ['household_size'], targets: { from: 'universe' } },
      ],
      method: 'rake',
    };
    // The respondents of a survey that does not exist: refused at the run, naming it.
    expect((await call('POST', '/weighting-schemes', { ...scheme, id: 'nps-nobody', respondentsOf: 'no-such-survey' })).status).toBe(201);
    const refused = await call<{ code: string; detail: string }>('POST', '/weighting-schemes/nps-nobody/run', {});
    expect(refused.status).toBe(404);
    expect(refused.body).toMatchObject({ code: 'PARCOURS_E_NOT_FOUND', detail: 'survey no-such-survey does not exist' });
    expect((await call('POST', '/weighting-schemes', scheme)).status).toBe(201);
    const run = await call<{ size: number; report: { margins: { levels: Record<string, string>; target: number }[] } }>(
      'POST',
      '/weighting-schemes/nps-respondents/run',
      {},
    );
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.size).toBe(respondents.size);
    // The weights stand for the very people the truth is of: the whole planted base, counted by age band and household size.
    const targets = baseMargins(people).flatMap((m) => m.cells.map((c) => ({ levels: c.levels, target: c.total })));
    const byLevels = (a: { levels: Record<string, string> }, b: { levels: Record<string, string> }) =>
      JSON.stringify(a.levels).localeCompare(JSON.stringify(b.levels));
    expect(run.body.report.margins.map(({ levels, target }) => ({ levels, target })).sort(byLevels)).toEqual(targets.sort(byLevels));

    const results = await call<unknown>('GET', `/surveys/${surveyId}/results?weights=nps-respondents`);
    expect(results.status).toBe(200);
    const nps = surveyResultsSchema.parse(results.body).overall.questions[0]!;
    if (nps.kind !== 'nps') throw new Error('the survey asks an NPS');
    const weighted: WeightedEstimate = nps.weightedNps!;
    console.info(
      `true NPS ${truth.nps.toFixed(2)} over ${people.length} customers; ${respondents.size} of ${members.length} members answered: ` +
        `weighted ${weighted.estimate.toFixed(2)} [${weighted.lower.toFixed(2)}, ${weighted.upper.toFixed(2)}] (n_eff ${weighted.effectiveSize.toFixed(1)}), unweighted ${nps.nps!.toFixed(2)}`,
    );
    expect(nps.answered).toBe(respondents.size);
    expect(weighted.n).toBe(respondents.size);
    expect(weighted.sampleValue).toBeCloseTo(nps.nps!, 9);
    expect(weighted.lower).toBeLessThanOrEqual(truth.nps);
    expect(weighted.upper).toBeGreaterThanOrEqual(truth.nps);
    expect(Math.abs(nps.nps! - truth.nps)).toBeGreaterThan(Math.abs(weighted.estimate - truth.nps));
  });
});
