import { journeySchema, removedResultSchema, usageSessionSchema, type Journey, type UsageSession } from '@parcours/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { startInfluxDB, type InfluxServer } from '../tools/services/index.js';
import { api, scrapeMetrics, startApp, testConfig } from './helpers.js';
import { connectRecording, settle, waitUntil, type RecordingClient } from './mqtt-clients.js';
import { TestFleet } from './test-fleet.js';

/**
 * Late records in streaming, over real MQTT with a real InfluxDB: a coffee machine loses its connection
 * after `usage.start`, the fleet's clock moves on and closes its session as idle, then the machine
 * replays what it buffered. The session is re-derived in place (same id, never a second one), the
 * journey it belongs to merges with the next one, and integrators receive the new versions. A shower
 * heard from only after the fact joins the journey it falls in rather than starting another.
 */
const minute = 60_000;
const t0 = Date.UTC(2026, 3, 6, 7); // a Monday, 07:00
const iso = (ms: number) => new Date(ms).toISOString();
const database = 'parcours_late';

let influx: InfluxServer;
let app: ParcoursApp;
let integrator: RecordingClient;
let fleet: TestFleet;

const sessionsOf = (deviceId: string) => app.analytics.sessionStore.listForDevice(deviceId, t0 - 60 * minute, t0 + 24 * 60 * minute, 100);
const journeysOf = (subjectId: string) => app.analytics.journeyStore.listForSubject(subjectId, t0 - 60 * minute, t0 + 24 * 60 * minute, 100);
const received = <T>(topic: string, decode: (raw: never) => T): T[] =>
  integrator.messages.filter((m) => m.topic === `${app.config.mqtt.baseTopic}/subjects/home/${topic}`).map((m) => decode(JSON.parse(m.payload) as never));

async function influxRows(q: string): Promise<unknown[][]> {
  const body = (await influx.query(q, database)) as { results: { series?: { values: unknown[][] }[] }[] };
  return body.results[0]?.series?.[0]?.values ?? [];
}

beforeAll(async () => {
  influx = await startInfluxDB();
  app = await startApp(testConfig({ analytics: { sessionRules: {}, journeyGap: '30m', actorInference: false }, influx: { url: influx.url, database } }));
  fleet = new TestFleet(app);
  const post = (path: string, body: unknown) => api(app.urls.http, 'POST', `/api/v1${path}`, body);
  await post('/subjects', { id: 'ana', kind: 'individual', type: 'person', name: 'Ana' });
  await post('/subjects', { id: 'home', kind: 'collective', type: 'household', name: 'Home' });
  await post('/memberships', { individualId: 'ana', collectiveId: 'home', validFrom: iso(t0 - 24 * 60 * minute) });
  for (const [id, type] of [
    ['cm', 'coffee_machine'],
    ['kettle', 'kettle'],
    ['shower', 'shower'],
    ['meter', 'meter'],
  ] as const)
    await fleet.connect(id, type, 'home', t0 - 24 * 60 * minute);
  const grant = app.gateway.apiKeys.create({ name: 'crm', role: 'integrator', subjects: ['home'] }).key;
  integrator = await connectRecording(app.urls.mqtt, { username: 'crm', password: grant });
  await integrator.client.subscribeAsync(`${app.config.mqtt.baseTopic}/subjects/home/#`, { qos: 1 });

  // In order: the machine starts (its next 40 minutes stay buffered), the kettle runs 45–50 min later.
  await fleet.publish('cm', 'events', t0, { type: 'usage.start', actor: 'ana' });
  await fleet.publish('kettle', 'events', t0 + 45 * minute, { type: 'usage.start', actor: 'ana' });
  await fleet.publish('kettle', 'events', t0 + 50 * minute, { type: 'usage.stop' });
  // The meter's clock moves the fleet three hours on: the machine's session closes as idle.
  await fleet.publish('meter', 'telemetry', t0 + 180 * minute, { metrics: { power_w: 80 } });
  await app.drained();
});

afterAll(async () => {
  await fleet?.close();
  await integrator?.client.endAsync();
  await app?.stop();
  await influx?.stop();
});

describe('late records in streaming', () => {
  it('first derives what the records that came in time say', () => {
    expect(sessionsOf('cm')).toEqual([expect.objectContaining({ id: `cm@${t0}`, end: t0, closedBy: 'idle_timeout', events: 1 })]);
    expect(journeysOf('home').map((j) => [j.start, j.path])).toEqual([
      [t0, 'coffee_machine'],
      [t0 + 45 * minute, 'kettle'],
    ]);
  });

  it('re-derives the session a replay falls in, in place, and merges the journeys it now joins', async () => {
    for (const at of [10, 20, 30]) await fleet.publish('cm', 'telemetry', t0 + at * minute, { metrics: { power_w: 1200 } });
    await fleet.publish('cm', 'events', t0 + 40 * minute, { type: 'usage.stop' });
    await app.drained();

    expect(sessionsOf('cm')).toEqual([
      expect.objectContaining({ id: `cm@${t0}`, start: t0, end: t0 + 40 * minute, closedBy: 'stop', events: 2, actor: 'ana' }),
    ]);
    const [journey, ...others] = journeysOf('home');
    expect(others).toEqual([]);
    expect(journey).toMatchObject({ id: `home@${t0}`, path: 'coffee_machine>kettle', steps: 2, end: t0 + 50 * minute });
    expect(journeysOf('ana').map((j) => j.path)).toEqual(['coffee_machine>kettle']);

    expect(await influxRows(`SELECT duration_s FROM usage_session WHERE device = 'cm'`)).toEqual([[t0, 2400]]);
    expect(await influxRows(`SELECT path FROM journey WHERE subject = 'home'`)).toEqual([[t0, 'coffee_machine>kettle']]);

    await waitUntil(() => received('journeys', journeySchema.decode).some((j: Journey) => j.steps === 2));
    const cmVersions = received('sessions', usageSessionSchema.decode).filter((s: UsageSession) => s.deviceId === 'cm');
    // One version per replayed record as it arrives (each batch re-derives what is known so far), one id.
    expect(new Set(cmVersions.map((s) => s.id))).toEqual(new Set([`cm@${t0}`]));
    expect(cmVersions[0]).toMatchObject({ closedBy: 'idle_timeout', end: t0 });
    expect(cmVersions.at(-1)).toMatchObject({ closedBy: 'stop', end: t0 + 40 * minute });
    // The kettle's journey merged into the machine's: integrators are told to drop it.
    expect(received('journeys/removed', removedResultSchema.decode)).toEqual([{ kind: 'journey', id: `home@${t0 + 45 * minute}`, replacedBy: [`home@${t0}`] }]);
  });

  it('lets a session heard of late join the journey it falls in', async () => {
    await fleet.publish('shower', 'events', t0 + 60 * minute, { type: 'usage.start', actor: 'ana' });
    await fleet.publish('shower', 'events', t0 + 70 * minute, { type: 'usage.stop' });
    await app.drained();

    expect(journeysOf('home').map((j) => [j.id, j.path, j.end])).toEqual([[`home@${t0}`, 'coffee_machine>kettle>shower', t0 + 70 * minute]]);
    expect(await influxRows(`SELECT steps FROM journey WHERE subject = 'home'`)).toEqual([[t0, 3]]);
    // Counted: the machine re-derived once per batch of replayed records (4 records, 1 to 4 batches); the journeys of home and ana rebuilt.
    const metrics = await scrapeMetrics(app.urls.http);
    const late = Number(/^parcours_analytics_late_rederivations_total (\d+)$/m.exec(metrics)?.[1]);
    expect(late).toBeGreaterThanOrEqual(1);
    expect(late).toBeLessThanOrEqual(4);
    expect(Number(/^parcours_analytics_journey_rebuilds_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    expect(metrics).toMatch(/^parcours_analytics_outbox_messages 0$/m);
  });

  it('gives what a batch re-derivation of the range gives, and changes nothing by running it', async () => {
    const before = {
      sessions: ['cm', 'kettle', 'shower'].flatMap(sessionsOf),
      journeys: [...journeysOf('home'), ...journeysOf('ana')],
      messages: integrator.messages.length,
    };
    await app.analytics.rederive(new Set(['cm', 'kettle', 'shower', 'meter']), t0 - 60 * minute, t0 + 240 * minute);
    expect(['cm', 'kettle', 'shower'].flatMap(sessionsOf)).toEqual(before.sessions);
    expect([...journeysOf('home'), ...journeysOf('ana')]).toEqual(before.journeys);
    await settle();
    expect(await influxRows(`SELECT count(duration_s) FROM usage_session`)).toEqual([[0, 3]]);
    expect(integrator.messages.length, 'integrators are not told again what did not change').toBe(before.messages);
  });
});
