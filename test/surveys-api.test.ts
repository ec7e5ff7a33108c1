import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCodes } from '@parcours/contracts';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { oneLineFailure, runCli } from './cli-process.js';
import { adminKey, api, startApp, testConfig } from './helpers.js';

/**
 * Survey definitions on a real Parcours: created, changed into new versions, listed, closed and opened again,
 * refused with located problems, through the HTTP API and the `parcours surveys` commands.
 */
let app: ParcoursApp;
let dir: string;

interface Problem {
  code: string;
  detail: string;
  errors?: { path: string; message: string }[];
}
/** A survey as the API answers it (JSON: instants as text). */
interface SurveyView {
  id: string;
  version: number;
  createdAt: string;
  state: 'open' | 'closed';
  closed: { at: string; reason: string } | null;
  survey: Record<string, unknown>;
  versions: { version: number; createdAt: string }[];
}
interface Page {
  items: SurveyView[];
  limit: number;
  offset: number;
  total: number;
}

const call = <T>(method: string, path: string, body?: unknown, key?: string) =>
  key === undefined ? api<T>(app.urls.http, method, `/api/v1${path}`, body) : api<T>(app.urls.http, method, `/api/v1${path}`, body, key);

const afterCoffee = {
  name: 'After coffee',
  questions: [
    {
      kind: 'single',
      id: 'taste',
      text: 'How was it?',
      choices: [
        { id: 'good', label: 'Good' },
        { id: 'bad', label: 'Not good' },
      ],
      branches: [{ choices: ['good'], goTo: 'recommend' }],
    },
    { kind: 'text', id: 'why', text: 'What went wrong?', required: false },
    { kind: 'nps', id: 'recommend', text: 'Would you recommend this machine?' },
  ],
  triggers: [{ on: 'session_closed', deviceType: 'coffee_machine', minDuration: '30s' }],
  samplingRate: 0.25,
  caps: { perWeek: 2 },
  cooldown: { afterAnswer: '3d' },
  quietHours: { from: '21:00', to: '08:00' },
  responseTarget: 400,
  endsAt: '2099-01-01T00:00:00.000Z',
};

beforeAll(async () => {
  app = await startApp(testConfig());
  dir = mkdtempSync(join(tmpdir(), 'parcours-surveys-'));
});

afterAll(async () => {
  await app?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('surveys through the API', () => {
  it('creates a survey as its version 1, open, its start resolved and its defaults filled in', async () => {
    const before = Date.now();
    const created = await call<SurveyView>('POST', '/surveys', { id: 'coffee', ...afterCoffee });
    expect(created).toMatchObject({ status: 201, body: { id: 'coffee', version: 1, state: 'open', closed: null } });
    const { survey, versions, createdAt } = created.body;
    expect(versions).toEqual([{ version: 1, createdAt }]);
    expect(survey).toMatchObject({ startsAt: createdAt, delay: '0s', expiresAfter: '1h', cooldown: { afterAnswer: '3d' }, audience: { kind: 'everyone' } });
    expect(Date.parse(createdAt)).toBeGreaterThanOrEqual(before);
    expect((await call<Problem>('POST', '/surveys', { id: 'coffee', ...afterCoffee })).body.code).toBe(errorCodes.conflict);
    const generated = await call<SurveyView>('POST', '/surveys', afterCoffee);
    expect(generated.body.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps every version; what a GET answers goes back as the next version unchanged', async () => {
    const latest = await call<SurveyView>('GET', '/surveys/coffee');
    const changed = await call<SurveyView>('PUT', '/surveys/coffee', { ...latest.body.survey, samplingRate: 0.5 });
    expect(changed).toMatchObject({ status: 200, body: { version: 2, survey: { samplingRate: 0.5 } } });
    const same = await call<SurveyView>('PUT', '/surveys/coffee', changed.body.survey);
    expect(same.body.version).toBe(3);
    expect(same.body.survey).toEqual(changed.body.survey);
    expect(same.body.versions.map((v) => v.version)).toEqual([1, 2, 3]);
    const first = await call<SurveyView>('GET', '/surveys/coffee?version=1');
    expect(first.body).toMatchObject({ version: 1, survey: { samplingRate: 0.25 } });
    expect(first.body.survey).toEqual(latest.body.survey);
    expect(await call<Problem>('GET', '/surveys/coffee?version=9')).toMatchObject({ status: 404, body: { code: errorCodes.notFound } });
    expect(await call<Problem>('PUT', '/surveys/tea', afterCoffee)).toMatchObject({ status: 404, body: { code: errorCodes.notFound } });
  });

  it('closes a survey once, keeping when and why; a new version opens it again', async () => {
    const closed = await call<SurveyView>('POST', '/surveys/coffee/close');
    expect(closed).toMatchObject({ status: 200, body: { state: 'closed', closed: { reason: 'manual' } } });
    const again = await call<SurveyView>('POST', '/surveys/coffee/close');
    expect(again.body.closed).toEqual(closed.body.closed);
    expect((await call<Problem>('POST', '/surveys/tea/close')).status).toBe(404);
    const reopened = await call<SurveyView>('PUT', '/surveys/coffee', closed.body.survey);
    expect(reopened.body).toMatchObject({ version: 4, state: 'open', closed: null });
    await call('POST', '/surveys/coffee/close');
  });

  it('lists the surveys at their latest version, by page and by state', async () => {
    for (const id of ['list-a', 'list-b', 'list-c']) expect((await call('POST', '/surveys', { id, ...afterCoffee })).status).toBe(201);
    const all = await call<Page>('GET', '/surveys?limit=1000');
    const ids = all.body.items.map((s) => s.id);
    expect(ids).toEqual([...ids].sort());
    expect(all.body.total).toBe(ids.length);
    expect(all.body.items.find((s) => s.id === 'coffee')).toMatchObject({ version: 4, state: 'closed' });
    const second = await call<Page>('GET', '/surveys?limit=2&offset=2');
    expect(second.body).toMatchObject({ limit: 2, offset: 2, total: ids.length });
    expect(second.body.items.map((s) => s.id)).toEqual(ids.slice(2, 4));
    const closed = await call<Page>('GET', '/surveys?state=closed');
    expect(closed.body.items.map((s) => s.id)).toEqual(['coffee']);
    expect((await call<Page>('GET', '/surveys?state=open')).body.total).toBe(ids.length - 1);
  });

  it('refuses an invalid survey with its code, each problem located, and stores nothing', async () => {
    const refused = async (id: string, survey: Record<string, unknown>) => {
      const answer = await call<Problem>('POST', '/surveys', { id, ...survey });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe(errorCodes.validation);
      expect((await call('GET', `/surveys/${id}`)).status).toBe(404);
      return answer.body.errors?.map((e) => e.path);
    };
    const [taste, why, recommend] = afterCoffee.questions;
    expect(await refused('twice', { ...afterCoffee, questions: [taste, { ...why, id: 'taste' }, recommend] })).toEqual(['body.questions.1.id']);
    expect(await refused('backwards', { ...afterCoffee, questions: [taste, { ...why, branches: [{ goTo: 'taste' }] }, recommend] })).toEqual([
      'body.questions.1.branches.0.goTo',
    ]);
    expect(await refused('no-choice', { ...afterCoffee, questions: [{ ...taste, branches: [{ choices: ['awful'], goTo: 'end' }] }, why, recommend] })).toEqual([
      'body.questions.0.branches.0.choices',
    ]);
    expect(await refused('ends-first', { ...afterCoffee, startsAt: '2026-06-01T00:00:00Z', endsAt: '2026-05-01T00:00:00Z' })).toEqual(['body.endsAt']);
    // With no startsAt, the survey starts when the version is made: an end already past is refused the same way.
    expect(await refused('ended', { ...afterCoffee, endsAt: '2020-01-01T00:00:00Z' })).toEqual(['body.endsAt']);
    const put = await call<Problem>('PUT', '/surveys/list-a', { ...afterCoffee, questions: [taste, { ...why, id: 'taste' }, recommend] });
    expect(put).toMatchObject({ status: 400, body: { code: errorCodes.validation, errors: [{ path: 'body.questions.1.id' }] } });
    expect((await call<SurveyView>('GET', '/surveys/list-a')).body.version).toBe(1);
  });

  it('lets a reader key read surveys, not change them', async () => {
    const { key } = app.gateway.apiKeys.create({ name: 'survey-reader', role: 'reader' });
    expect((await call('GET', '/surveys', undefined, key)).status).toBe(200);
    expect((await call('GET', '/surveys/coffee', undefined, key)).status).toBe(200);
    expect((await call<Problem>('POST', '/surveys', afterCoffee, key)).body.code).toBe(errorCodes.forbidden);
    expect((await call<Problem>('PUT', '/surveys/coffee', afterCoffee, key)).body.code).toBe(errorCodes.forbidden);
    expect((await call<Problem>('POST', '/surveys/list-a/close', undefined, key)).body.code).toBe(errorCodes.forbidden);
  });
});

describe('parcours surveys', () => {
  const cli = (...args: string[]) => runCli(['surveys', ...args, '--api', app.urls.http, '--api-key', adminKey()], { cwd: dir });

  it('creates a survey from a YAML file, lists it and closes it', async () => {
    // The example of docs/surveys.md, as written there.
    const example = readFileSync(new URL('../docs/surveys.md', import.meta.url), 'utf8')
      .split('```yaml\n')[1]!
      .split('```')[0]!;
    writeFileSync(join(dir, 'example.yaml'), example);
    const fromDocs = await cli('create', '--file', 'example.yaml');
    expect(fromDocs.stdout, fromDocs.stderr).toBe('survey coffee-after-use version 1\n');
    writeFileSync(join(dir, 'survey.yaml'), toYaml({ id: 'from-cli', ...afterCoffee }));
    const created = await cli('create', '--file', 'survey.yaml');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toBe('survey from-cli version 1\n');
    writeFileSync(join(dir, 'survey.json'), JSON.stringify(afterCoffee));
    const generated = await cli('create', '--file', 'survey.json', '--json');
    const view = JSON.parse(generated.stdout) as SurveyView;
    expect(view.version).toBe(1);

    const listed = await cli('list', '--json');
    const surveys = JSON.parse(listed.stdout) as SurveyView[];
    expect(surveys.map((s) => s.id)).toEqual((await call<Page>('GET', '/surveys?limit=1000')).body.items.map((s) => s.id));
    const table = await cli('list', '--state', 'open');
    const row = table.stdout.split('\n').find((line) => line.startsWith('from-cli '));
    expect(row).toMatch(/^from-cli +1 +\S+ +2099-01-01T00:00:00.000Z +open +After coffee$/);
    const exampleRow = table.stdout.split('\n').find((line) => line.startsWith('coffee-after-use '));
    expect(exampleRow).toMatch(/^coffee-after-use +1 +2027-03-01T00:00:00.000Z +2027-04-01T00:00:00.000Z +open +After a coffee$/);
    expect(table.stdout).not.toContain('\ncoffee ');

    const closed = await cli('close', 'from-cli');
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.stdout).toMatch(/^survey from-cli version 1: closed \S+ \(manual\)\n$/);
    expect((await call<SurveyView>('GET', '/surveys/from-cli')).body.state).toBe('closed');
    const closedOnly = JSON.parse((await cli('list', '--state', 'closed', '--json')).stdout) as SurveyView[];
    expect(closedOnly.map((s) => s.id)).toEqual(['coffee', 'from-cli']);
  });

  it('fails on one line with the code, naming where a refused survey is wrong', async () => {
    writeFileSync(join(dir, 'taken.yaml'), toYaml({ id: 'from-cli', ...afterCoffee }));
    expect(oneLineFailure(await cli('create', '--file', 'taken.yaml'), errorCodes.conflict)).toContain('survey from-cli already exists');
    const [taste, why, recommend] = afterCoffee.questions;
    writeFileSync(join(dir, 'backwards.yaml'), toYaml({ ...afterCoffee, questions: [taste, { ...why, branches: [{ goTo: 'taste' }] }, recommend] }));
    expect(oneLineFailure(await cli('create', '--file', 'backwards.yaml'), errorCodes.validation)).toContain('body.questions.1.branches.0.goTo');
    expect(oneLineFailure(await cli('close', 'tea'), errorCodes.notFound)).toContain('survey tea does not exist');
  });
});
