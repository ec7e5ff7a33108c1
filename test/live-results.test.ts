import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';
import { connectRecording, waitUntil, type RecordingClient } from './mqtt-clients.js';
import { TestFleet } from './test-fleet.js';

/**
 * What a live view reads from the API, over real HTTP and MQTT: the sessions and journeys still open next
 * to the closed ones, each with its status and when it closes at the latest, and the collectives a
 * session or a message was attributed to as of its time. Ana belongs to her household `home`, and to
 * `work` until 07:30; she uses the household's coffee machine at 07:00, its kettle from 08:00 (still
 * open) and its shower at 08:02, and her phone reports at 07:01.
 */
const minute = 60_000;
const t0 = Date.UTC(2026, 3, 6, 7); // a Monday, 07:00
const iso = (ms: number) => new Date(ms).toISOString();
const range = `from=${iso(t0 - 60 * minute)}&to=${iso(t0 + 24 * 60 * minute)}`;

let app: ParcoursApp;
let fleet: TestFleet;
let integrator: RecordingClient;

async function get<T>(path: string): Promise<T> {
  const response = await api<T>(app.urls.http, 'GET', `/api/v1${path}`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}
const items = async (path: string) => (await get<{ items: Record<string, unknown>[] }>(path)).items;

beforeAll(async () => {
  app = await startApp(testConfig({ analytics: { sessionRules: {}, journeyGap: '30m', sessionIdleTimeout: '30m', actorInference: false } }));
  fleet = new TestFleet(app);
  const post = (path: string, body: unknown) => api(app.urls.http, 'POST', `/api/v1${path}`, body);
  const since = iso(t0 - 24 * 60 * minute);
  await post('/subjects', { id: 'ana', kind: 'individual', type: 'person', name: 'Ana' });
  await post('/subjects', { id: 'home', kind: 'collective', type: 'household', name: 'Home' });
  await post('/subjects', { id: 'work', kind: 'collective', type: 'workplace', name: 'Work' });
  await post('/memberships', { individualId: 'ana', collectiveId: 'home', validFrom: since });
  await post('/memberships', { individualId: 'ana', collectiveId: 'work', validFrom: since, validTo: iso(t0 + 30 * minute) });
  for (const id of ['coffee_machine', 'kettle', 'shower']) await fleet.connect(id, id, 'home', t0 - 24 * 60 * minute);
  await fleet.connect('phone', 'phone', 'ana', t0 - 24 * 60 * minute);
  const grant = app.gateway.apiKeys.create({ name: 'crm', role: 'integrator', subjects: ['ana'] }).key;
  integrator = await connectRecording(app.urls.mqtt, { username: 'crm', password: grant });
  await integrator.client.subscribeAsync(`${app.config.mqtt.baseTopic}/subjects/ana/sessions`, { qos: 1 });

  await fleet.use('coffee_machine', t0, 5, 'ana');
  await fleet.publish('phone', 'telemetry', t0 + minute, { metrics: { battery: 80 } });
  await fleet.event('kettle', t0 + 60 * minute, 'usage.start', 'ana');
  await fleet.use('shower', t0 + 62 * minute, 3, 'ana');
  await app.drained();
});

afterAll(async () => {
  await fleet?.close();
  await integrator?.client.endAsync();
  await app?.stop();
});

describe('open sessions and journeys', () => {
  it('serves closed results only by default, as before, with their status', async () => {
    expect(await items(`/devices/kettle/sessions?${range}`)).toEqual([]);
    expect((await items(`/subjects/ana/sessions?${range}`)).map((s) => [s.id, s.status, s.closesBy])).toEqual([
      [`coffee_machine@${t0}`, 'closed', null],
      [`shower@${t0 + 62 * minute}`, 'closed', null],
    ]);
    expect((await items(`/subjects/ana/journeys?${range}`)).map((j) => [j.id, j.status, j.path])).toEqual([[`ana@${t0}`, 'closed', 'coffee_machine']]);
  });

  it('serves an open session with when it closes at the latest: its latest message plus the idle timeout', async () => {
    expect(await items(`/devices/kettle/sessions?${range}&status=open`)).toEqual([
      expect.objectContaining({
        id: `kettle@${t0 + 60 * minute}`,
        status: 'open',
        actor: 'ana',
        start: iso(t0 + 60 * minute),
        end: iso(t0 + 60 * minute),
        closedBy: null,
        closesBy: iso(t0 + 90 * minute),
      }),
    ]);
    expect((await items(`/subjects/ana/sessions?${range}&status=all`)).map((s) => [s.id, s.status])).toEqual([
      [`coffee_machine@${t0}`, 'closed'],
      [`kettle@${t0 + 60 * minute}`, 'open'],
      [`shower@${t0 + 62 * minute}`, 'closed'],
    ]);
  });

  it('serves the open journey of a subject, its open session included, closing a gap after the latest its sessions can end', async () => {
    const open = {
      status: 'open',
      start: iso(t0 + 60 * minute),
      end: iso(t0 + 65 * minute),
      steps: 2,
      path: 'kettle>shower',
      sessions: [`kettle@${t0 + 60 * minute}`, `shower@${t0 + 62 * minute}`],
      closesBy: iso(t0 + 120 * minute),
    };
    expect(await items(`/subjects/ana/journeys?${range}&status=open`)).toEqual([
      { id: `ana@${t0 + 60 * minute}`, subjectId: 'ana', subjectKind: 'individual', subjectType: 'person', durationS: 300, ...open },
    ]);
    expect((await items(`/subjects/home/journeys?${range}&status=all`)).map((j) => [j.id, j.status, j.path])).toEqual([
      [`home@${t0}`, 'closed', 'coffee_machine'],
      [`home@${t0 + 60 * minute}`, 'open', 'kettle>shower'],
    ]);
  });

  it('refuses an unknown status', async () => {
    const response = await api<{ code: string }>(app.urls.http, 'GET', `/api/v1/subjects/ana/sessions?${range}&status=pending`);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('PARCOURS_E_VALIDATION');
  });
});

describe('collectives in the outputs', () => {
  it('gives each session the collectives its person belonged to at its start', async () => {
    expect((await items(`/subjects/ana/sessions?${range}&status=all`)).map((s) => [s.id, s.collectives])).toEqual([
      [`coffee_machine@${t0}`, ['home', 'work']],
      [`kettle@${t0 + 60 * minute}`, ['home']],
      [`shower@${t0 + 62 * minute}`, ['home']],
    ]);
  });

  it('announces each closed session to integrators with the same JSON, its collectives included', async () => {
    await waitUntil(() => integrator.messages.length >= 2);
    const announced = integrator.messages.map((m) => JSON.parse(m.payload) as Record<string, unknown>);
    expect(announced).toEqual(await items(`/subjects/ana/sessions?${range}`));
    expect(announced.map((s) => s.collectives)).toEqual([['home', 'work'], ['home']]);
  });

  it("lists a person's messages on their own devices and those naming them as actor, each with its collectives", async () => {
    const events = await items(`/subjects/ana/events?${range}`);
    expect(events.map((e) => [e.deviceId, e.type, e.subjectId, e.actor, e.collectives])).toEqual([
      ['coffee_machine', 'usage.start', 'home', 'ana', ['home', 'work']],
      ['phone', null, 'ana', null, ['home', 'work']],
      ['kettle', 'usage.start', 'home', 'ana', ['home']],
      ['shower', 'usage.start', 'home', 'ana', ['home']],
    ]);
  });
});
