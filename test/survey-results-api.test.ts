import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WeightedFigures } from '@parcours/analytics';
import { errorCodes, type PromptDecision, surveyResultsSchema } from '@parcours/contracts';
import { CustomerBaseClient, generateCustomerBase, pushCustomerBase, writeCustomerBase } from '@parcours/firmware-sim';
import { seededRandom } from '@parcours/sampling';
import { surveyResults } from '@parcours/surveys';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { runCli } from './cli-process.js';
import { adminKey, api, startApp, testConfig } from './helpers.js';

/**
 * Survey results on a real Parcours: a customer base pushed, a panel drawn by age band with unequal fractions and
 * raked back to the base's age bands and household sizes; its members (and people outside it) prompted and
 * answering as the prompt store records them. `GET /surveys/{id}/results` and `parcours surveys results` must
 * answer what `surveyResults` makes of the store's prompts and answers, weighted by the scheme's stored run.
 */
const day = 86_400_000;
const startsAt = Date.UTC(2026, 2, 2);
const at = new Date(startsAt + day).toISOString();
const promptedFrom = startsAt + 2 * day;
let app: ParcoursApp;
let dir: string;

const call = <T>(method: string, path: string) => api<T>(app.urls.http, method, `/api/v1${path}`);

const survey = {
  id: 'after-ride',
  name: 'After the ride',
  questions: [
    {
      kind: 'single',
      id: 'purpose',
      text: 'What was the ride for?',
      choices: ['work', 'errand', 'leisure'].map((id) => ({ id, label: id })),
      branches: [{ choices: ['errand'], goTo: 'end' }],
    },
    { kind: 'rating', id: 'comfort', text: 'How comfortable?', required: false },
    { kind: 'nps', id: 'recommend', text: 'Would you recommend the service?', required: false },
  ],
  triggers: [{ on: 'session_closed' }],
};

beforeAll(async () => {
  app = await startApp(testConfig());
  dir = mkdtempSync(join(tmpdir(), 'parcours-survey-results-'));
  const base = generateCustomerBase({ size: 1_500, seed: 5, startsAt });
  await writeCustomerBase(base, dir);
  await pushCustomerBase(dir, new CustomerBaseClient({ apiUrl: app.urls.http, apiKey: adminKey(), logger: pino({ level: 'silent' }) }));
  const given = { 'age_band=18-24': 20, 'age_band=25-34': 20, 'age_band=35-44': 25, 'age_band=45-54': 30, 'age_band=55-64': 35, 'age_band=65+': 40 };
  const panel = { id: 'riders', name: 'Riders', at, size: 170, seed: 2, design: { method: 'stratified', strata: ['age_band'], allocation: { given } } };
  expect((await api(app.urls.http, 'POST', '/api/v1/panels', panel)).status).toBe(201);
  const scheme = {
    id: 'riders-to-base',
    name: 'Riders to the base',
    at,
    sample: { kind: 'panel', panelId: 'riders' },
    margins: [
      { variables: ['age_band'], targets: { from: 'universe' } },
      { variables: ['household_size'], targets: { from: 'universe' } },
    ],
    method: 'rake',
  };
  expect((await api(app.urls.http, 'POST', '/api/v1/weighting-schemes', scheme)).status).toBe(201);
  expect((await api(app.urls.http, 'POST', '/api/v1/weighting-schemes/riders-to-base/run', {})).status).toBe(200);
  expect((await api(app.urls.http, 'POST', '/api/v1/surveys', survey)).status).toBe(201);

  // Members prompted one to three times on two device types, some sampled out or capped, a few people outside the panel.
  const members = (await call<{ items: { individualId: string }[] }>('GET', '/memberships?collectiveId=riders&limit=1000')).body.items.map(
    (m) => m.individualId,
  );
  const random = seededRandom(17);
  const people = [...members, 'outsider-1', 'outsider-2', 'outsider-3'];
  let n = 0;
  for (const personId of people) {
    for (let j = 0; j < 1 + Math.floor(random() * 3); j++) {
      const sendAt = promptedFrom + n * 60_000;
      const promptId = `pr_${(n += 1).toString(16).padStart(8, '0')}`;
      const decision: PromptDecision = random() < 0.8 ? 'sent' : random() < 0.5 ? 'sampled_out' : 'capped';
      app.prompts.record(
        { decision, promptId, surveyId: 'after-ride', surveyVersion: 1, personId, trigger: promptId, sendAt, expiresAt: sendAt + 3_600_000, detail: decision },
        {
          triggeredAt: sendAt,
          sessionId: null,
          journeyId: null,
          deviceId: null,
          rule: 'session_closed',
          deviceType: random() < 0.6 ? 'e_bike' : 'scooter',
          path: null,
          collectives: [],
          stratum: null,
          community: null,
        },
        sendAt,
      );
      if (decision !== 'sent') continue;
      const reply = random();
      if (reply < 0.2) app.prompts.dismiss(promptId, sendAt + 30_000);
      if (reply < 0.45) continue;
      app.prompts.markShown(promptId, sendAt + 10_000);
      const purpose = ['work', 'errand', 'leisure'][Math.floor(random() * 3)]!;
      const values =
        purpose === 'errand'
          ? { purpose }
          : { purpose, comfort: 1 + Math.floor(random() * 5), ...(random() < 0.85 ? { recommend: Math.floor(random() * 11) } : {}) };
      expect(app.prompts.answer(promptId, { values }, sendAt + 10_000 + Math.floor(random() * 3_000_000))).toBe(true);
    }
  }
}, 300_000);

afterAll(async () => {
  await app?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What `surveyResults` makes of the store's prompts and answers in [from, to), as the API sends it (JSON). */
function expected(from: number, to: number, options: { by?: 'deviceType'; weights?: boolean } = {}): unknown {
  const { prompts, answers } = app.prompts.forResults('after-ride', from, to);
  const weights = options.weights ? new WeightedFigures(app.weightingSchemes.weighting('riders-to-base')) : undefined;
  const results = surveyResults(app.surveys.require('after-ride').survey, prompts, answers, {
    ...(options.by ? { by: options.by } : {}),
    ...(weights ? { weights } : {}),
  });
  return JSON.parse(JSON.stringify(surveyResultsSchema.encode(results)));
}

describe('survey results through the API', () => {
  it('answers every prompt and answer, overall and by device type, as surveyResults makes them', async () => {
    const all = await call<unknown>('GET', '/surveys/after-ride/results');
    expect(all.status).toBe(200);
    expect(all.body).toEqual(expected(0, Number.MAX_SAFE_INTEGER));
    const overall = surveyResultsSchema.parse(all.body).overall;
    expect(overall.sent).toBeGreaterThan(100);
    expect(overall.answered).toBeGreaterThan(50);

    const from = promptedFrom + 60 * 60_000;
    const to = promptedFrom + 200 * 60_000;
    const window = await call<unknown>(
      'GET',
      `/surveys/after-ride/results?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&by=deviceType`,
    );
    expect(window.body).toEqual(expected(from, to, { by: 'deviceType' }));
    expect(surveyResultsSchema.parse(window.body).groups.map((g) => g.value)).toEqual(['e_bike', 'scooter']);
  });

  it('weights the figures by a scheme’s stored run: the NPS, shares, mean and response rate with their intervals', async () => {
    const weighted = await call<unknown>('GET', '/surveys/after-ride/results?weights=riders-to-base&by=deviceType');
    expect(weighted.status).toBe(200);
    expect(weighted.body).toEqual(expected(0, Number.MAX_SAFE_INTEGER, { by: 'deviceType', weights: true }));
    const results = surveyResultsSchema.parse(weighted.body);
    expect(results.weighting).toMatchObject({ schemeId: 'riders-to-base', version: 1 });
    const nps = results.overall.questions.find((q) => q.kind === 'nps')!;
    expect(nps.kind === 'nps' && nps.weightedNps).toMatchObject({ estimate: expect.any(Number) });
  });

  it('refuses an unknown survey, an unknown scheme and a range that ends before it starts', async () => {
    expect(await call<{ code: string }>('GET', '/surveys/no-such-survey/results')).toMatchObject({ status: 404, body: { code: errorCodes.notFound } });
    expect((await call<{ code: string }>('GET', '/surveys/after-ride/results?weights=no-such-scheme')).status).toBe(404);
    const backwards = await call<{ code: string }>('GET', '/surveys/after-ride/results?from=2026-03-05T00:00:00Z&to=2026-03-04T00:00:00Z');
    expect(backwards).toMatchObject({ status: 400, body: { code: errorCodes.badInterval } });
  });
});

describe('parcours surveys results', () => {
  const cli = (...args: string[]) => runCli(['surveys', 'results', 'after-ride', ...args, '--api', app.urls.http, '--api-key', adminKey()], { cwd: dir });

  it('prints the API’s results as JSON, and as a table of rates, distributions and the weighted NPS with its interval', async () => {
    const json = await cli('--weights', 'riders-to-base', '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(expected(0, Number.MAX_SAFE_INTEGER, { weights: true }));

    const results = surveyResultsSchema.parse(JSON.parse(json.stdout));
    const { overall } = results;
    const table = await cli('--weights', 'riders-to-base', '--by', 'deviceType');
    expect(table.code, table.stderr).toBe(0);
    const text = table.stdout;
    const percent = (share: number | null) => `${(100 * share!).toFixed(1)}%`;
    expect(text).toMatch(new RegExp(`answered\\s+${overall.answered}\\s+response rate ${percent(overall.responseRate)}`));
    expect(text).toMatch(new RegExp(`dismissed\\s+${overall.dismissed}\\s+dismissal rate ${percent(overall.dismissalRate)}`));
    const purpose = overall.questions[0]!;
    if (purpose.kind !== 'single') throw new Error('purpose is a single choice');
    for (const choice of purpose.choices) expect(text).toMatch(new RegExp(`${choice.id}\\s+${choice.count}\\s+${percent(choice.share)}`));
    const nps = overall.questions.find((q) => q.kind === 'nps')!;
    if (nps.kind !== 'nps') throw new Error('recommend is an NPS question');
    const w = nps.weightedNps!;
    expect(text).toContain(`recommend (nps): ${nps.answered} answers, NPS ${nps.nps!.toFixed(1)}`);
    expect(text).toContain(`NPS weighted ${w.estimate.toFixed(1)} (95% ${w.lower.toFixed(1)} to ${w.upper.toFixed(1)}, n ${w.n}`);
    expect(text).toContain('deviceType = e_bike');
    expect(text).toContain('weighted by riders-to-base version 1');
  });
});
