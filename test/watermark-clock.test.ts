import { servedSessionSchema, type ServedSession } from '@parcours/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';
import { connectRecording, waitUntil, type RecordingClient } from './mqtt-clients.js';
import { TestFleet } from './test-fleet.js';

/**
 * The watermark also moves with the clock: a real Parcours with second-long settings, one coffee machine
 * that sends `usage.start` stamped now and goes quiet, and nothing else arriving. Its session closes once
 * the idle timeout has passed in real time, is served closed and published to integrators, and a batch
 * re-derivation of the range gives the same session.
 */
let app: ParcoursApp;
let fleet: TestFleet;
let integrator: RecordingClient;
let started: number;

const day = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

async function servedSessions(): Promise<ServedSession[]> {
  const range = `from=${iso(started - day)}&to=${iso(started + day)}`;
  const response = await api<{ items: never[] }>(app.urls.http, 'GET', `/api/v1/devices/cm/sessions?${range}`);
  expect(response.status).toBe(200);
  return response.body.items.map((item) => servedSessionSchema.decode(item));
}

beforeAll(async () => {
  app = await startApp(
    testConfig({
      // The real clock: device times are now, within the gateway's usual skew.
      gateway: { maxClockSkew: '5m', maxLateness: '7d' },
      analytics: { sessionRules: {}, sessionIdleTimeout: '1s', idleAdvanceAfter: '200ms', allowedLateness: '300ms', actorInference: false },
    }),
  );
  fleet = new TestFleet(app);
  const post = (path: string, body: unknown) => api(app.urls.http, 'POST', `/api/v1${path}`, body);
  await post('/subjects', { id: 'ana', kind: 'individual', type: 'person', name: 'Ana' });
  await fleet.connect('cm', 'coffee_machine', 'ana', Date.now() - day);
  const grant = app.gateway.apiKeys.create({ name: 'crm', role: 'integrator', subjects: ['ana'] }).key;
  integrator = await connectRecording(app.urls.mqtt, { username: 'crm', password: grant });
  await integrator.client.subscribeAsync(`${app.config.mqtt.baseTopic}/subjects/ana/sessions`, { qos: 1 });
});

afterAll(async () => {
  await fleet?.close();
  await integrator?.client.endAsync();
  await app?.stop();
});

describe('the watermark on a quiet log', () => {
  it('closes the session of a device that went quiet once its idle timeout has passed in real time', async () => {
    started = Date.now();
    await fleet.event('cm', started, 'usage.start', 'ana');
    await app.drained();

    await waitUntil(async () => (await servedSessions()).length > 0);
    const [session, ...others] = await servedSessions();
    expect(others).toEqual([]);
    expect(session).toMatchObject({ id: `cm@${started}`, status: 'closed', start: started, end: started, closedBy: 'idle_timeout', actor: 'ana' });
    // Only once its idle timeout had passed on the watermark, which never ran ahead of the clock minus the lateness.
    expect(app.analytics.sessionStore.loadWatermark()).toBeGreaterThan(started + 1_000);
    expect(app.analytics.sessionStore.loadWatermark()).toBeLessThanOrEqual(Date.now() - 300);

    const topic = `${app.config.mqtt.baseTopic}/subjects/ana/sessions`;
    await waitUntil(() => integrator.messages.some((m) => m.topic === topic));
    expect(integrator.messages.filter((m) => m.topic === topic).map((m) => servedSessionSchema.decode(JSON.parse(m.payload) as never))).toEqual([session]);
  });

  it('gives the same session in a batch re-derivation, which closes what the watermark closed', async () => {
    const streamed = await servedSessions();
    const rederived = await app.analytics.rederive('all', started - day, started + day);
    expect(rederived.map((s) => s.id)).toEqual([`cm@${started}`]);
    expect(await servedSessions()).toEqual(streamed);
  });
});
