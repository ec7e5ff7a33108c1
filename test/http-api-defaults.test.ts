import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { errorCodes, problemContentType, type Problem } from '@parcours/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, api, startApp, testConfig } from './helpers.js';
import { TestFleet } from './test-fleet.js';

/** What the sessions, journeys, subjects, import and retention routes answer when a request leaves things out or gets them wrong. */
const bin = fileURLToPath(new URL('../bin/parcours.js', import.meta.url));
const hour = 3_600_000;
const day = 24 * hour;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

let app: ParcoursApp;
let fleet: TestFleet;
const now = Date.now();
const recent = now - 3 * hour;
const older = now - 3 * day;

beforeAll(async () => {
  app = await startApp(testConfig({ analytics: { sessionRules: {}, actorInference: false } }));
  await api(app.urls.http, 'POST', '/api/v1/subjects', { id: 'home', kind: 'collective', type: 'household', name: 'Home' });
  await api(app.urls.http, 'POST', '/api/v1/subjects', { id: 'flat', kind: 'collective', type: 'household', name: 'Flat' });
  fleet = new TestFleet(app);
  await fleet.connect('kettle', 'kettle', 'home', now - 10 * day);
  await fleet.use('kettle', older, 5);
  await fleet.use('kettle', recent, 5);
  await app.drained();
});

afterAll(async () => {
  await fleet.close();
  await app.stop();
});

async function send(method: string, path: string, contentType: string, body: string): Promise<{ status: number; type: string | null; body: Problem }> {
  const response = await fetch(`${app.urls.http}${path}`, { method, headers: { authorization: `Bearer ${adminKey()}`, 'content-type': contentType }, body });
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Problem };
}

/** `parcours keys create` on the running app's data folder. */
function createKey(...args: string[]) {
  return spawnSync('node', [bin, 'keys', 'create', ...args], { encoding: 'utf8', env: { ...process.env, PARCOURS_DATA_DIR: app.config.data.dir } });
}

describe('sessions and journeys', () => {
  it('cover the last 24 hours when the request gives no range', async () => {
    const sessions = await api<{ items: { start: string }[] }>(app.urls.http, 'GET', '/api/v1/subjects/home/sessions');
    expect(sessions.status).toBe(200);
    expect(sessions.body.items.map((s) => s.start)).toEqual([new Date(recent).toISOString()]);
    const ofDevice = await api<{ items: { start: string }[] }>(app.urls.http, 'GET', '/api/v1/devices/kettle/sessions');
    expect(ofDevice.body.items.map((s) => s.start)).toEqual([new Date(recent).toISOString()]);
    const journeys = await api<{ items: { start: string }[] }>(app.urls.http, 'GET', '/api/v1/subjects/home/journeys?status=all');
    expect(journeys.status).toBe(200);
    expect(journeys.body.items.map((j) => j.start)).toEqual([new Date(recent).toISOString()]);
  });

  it('take dates without a time as UTC days, `to` the first day left out', async () => {
    const range = `from=${isoDay(older)}&to=${isoDay(now + day)}`;
    const sessions = await api<{ items: { start: string }[] }>(app.urls.http, 'GET', `/api/v1/subjects/home/sessions?${range}`);
    expect(sessions.body.items.map((s) => s.start)).toEqual([new Date(older).toISOString(), new Date(recent).toISOString()]);
    const none = await api<{ items: unknown[] }>(app.urls.http, 'GET', `/api/v1/subjects/home/sessions?from=${isoDay(older)}&to=${isoDay(older)}`);
    expect(none.body.items).toEqual([]);
  });

  it('refuse a range that ends before it starts (400)', async () => {
    for (const path of ['/subjects/home/sessions', '/devices/kettle/sessions', '/subjects/home/journeys']) {
      const response = await api<Problem>(app.urls.http, 'GET', `/api/v1${path}?from=${isoDay(now)}&to=${isoDay(now - day)}`);
      expect(response.status, path).toBe(400);
      expect(response.body.code, path).toBe(errorCodes.badInterval);
    }
  });

  it('answer 404 for a subject or a device the registry does not know', async () => {
    for (const path of ['/subjects/nobody/sessions', '/devices/nothing/sessions', '/subjects/nobody/journeys']) {
      const response = await api<Problem>(app.urls.http, 'GET', `/api/v1${path}`);
      expect(response.status, path).toBe(404);
      expect(response.body.code, path).toBe(errorCodes.notFound);
    }
  });
});

describe('bodies', () => {
  it('an empty CSV import is refused (400), nothing to import', async () => {
    for (const body of ['', '\n', 'id,kind,type,name\n']) {
      const response = await send('POST', '/api/v1/import/subjects', 'text/csv', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.code).toBe(errorCodes.validation);
    }
  });

  it('a body of another content type than the route reads is 415, with its code and title', async () => {
    const subject = JSON.stringify({ id: 'ana', kind: 'individual', type: 'person', name: 'Ana' });
    for (const [path, contentType, body] of [
      ['/api/v1/subjects', 'text/plain', subject],
      ['/api/v1/subjects', 'text/csv', 'id,kind,type,name\nana,individual,person,Ana\n'],
      ['/api/v1/subjects', 'application/xml', '<subject/>'],
      ['/api/v1/import', 'text/csv', 'id,kind,type,name\nana,individual,person,Ana\n'],
      ['/api/v1/import/subjects', 'application/json', JSON.stringify([{ id: 'ana' }])],
      ['/api/v1/import/subjects', 'text/plain', 'id,kind,type,name\nana,individual,person,Ana\n'],
    ] as const) {
      const response = await send('POST', path, contentType, body);
      expect(response.status, `${contentType} to ${path}`).toBe(415);
      expect(response.type).toMatch(problemContentType);
      expect(response.body).toMatchObject({ code: errorCodes.unsupportedMediaType, title: 'Unsupported Media Type', status: 415 });
    }
    expect((await api(app.urls.http, 'GET', '/api/v1/subjects/ana')).status).toBe(404);
  });
});

describe('API keys', () => {
  it('an integrator reads the subjects granted to it, and no other (403)', async () => {
    const integrator = app.gateway.apiKeys.create({ name: 'crm', role: 'integrator', subjects: ['home'] }).key;
    const home = await api<{ id: string }>(app.urls.http, 'GET', '/api/v1/subjects/home', undefined, integrator);
    expect(home.status).toBe(200);
    expect(home.body.id).toBe('home');
    for (const id of ['flat', 'nobody']) expect((await api(app.urls.http, 'GET', `/api/v1/subjects/${id}`, undefined, integrator)).status).toBe(403);
    expect((await api(app.urls.http, 'GET', '/api/v1/subjects', undefined, integrator)).status).toBe(403);
  });

  it('a reader or admin key given subjects is refused, not created with them ignored', () => {
    for (const role of ['reader', 'admin']) {
      const cli = createKey('--role', role, '--name', `${role}-with-subjects`, '--subject', 'home');
      expect(cli.status, cli.stderr).not.toBe(0);
      expect(cli.stderr).toContain(errorCodes.validation);
    }
    expect(app.gateway.apiKeys.list().map((k) => k.name)).not.toContain('reader-with-subjects');
  });

  it('an integrator key for a subject the registry does not know is refused', () => {
    const cli = createKey('--role', 'integrator', '--name', 'typo', '--subject', 'home', '--subject', 'hmoe');
    expect(cli.status, cli.stderr).not.toBe(0);
    expect(cli.stderr).toContain(errorCodes.validation);
    expect(cli.stderr).toContain('hmoe');
    expect(app.gateway.apiKeys.list().map((k) => k.name)).not.toContain('typo');
  });
});

describe('retention', () => {
  it('lists only the cohorts that have subjects, every week keeping its lifecycle', async () => {
    const monday = Date.UTC(2025, 0, 6);
    const range = `from=${new Date(monday).toISOString()}&to=${new Date(monday + 21 * day).toISOString()}`;
    const response = await api<{ cohorts: unknown[]; lifecycle: unknown[] }>(app.urls.http, 'GET', `/api/v1/retention?${range}&kind=collective`);
    expect(response.status).toBe(200);
    expect(response.body.cohorts).toEqual([]);
    expect(response.body.lifecycle).toHaveLength(3);
  });
});
