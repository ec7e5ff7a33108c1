import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, scrapeMetrics, startApp, testConfig } from './helpers.js';
import { connectRecording } from './mqtt-clients.js';
import { arrivals, type OrderSpec } from './stream-batch/arrivals.js';
import { derived, latenessMs, worldAnalytics, type Derived } from './stream-batch/stream-and-batch.js';
import { buildWorld, worldArb, worldStart, type World } from './stream-batch/world.js';

/**
 * The property of stream-equals-batch.test.ts over a real Parcours, for one world and a few arrival
 * orders: each device registered through the API and publishing over MQTT with its own credentials, in
 * the order drawn (offline replays, reordering, redeliveries of the same message), the stream left to
 * batch as it reads; then `runBatch` re-derives the whole range on the running server. Here the
 * watermark moves with device time only and no clock is corrected: the world's dates are past, so the
 * gateway takes a clock running hours ahead as a late one.
 */

const day = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
/** A world with a few devices of each kind, some offline for a while: drawn once, from a fixed seed. */
const world: World = buildWorld(
  fc
    .sample(worldArb, { seed: 11, numRuns: 40 })
    .map((spec) => ({ ...spec, devices: spec.devices.map((d) => ({ ...d, clockAhead: false })) }))
    .filter((spec) => spec.devices.some((d) => d.offline !== null))
    .sort((a, b) => b.devices.length - a.devices.length)[0]!,
);
const orders: OrderSpec[] = [
  { seed: 0, delayShare: 0, cut: 1, advance: 0, duplicates: 0 },
  { seed: 1, delayShare: 1, cut: 0.5, advance: 0, duplicates: 0.1 },
  { seed: 2, delayShare: 1, cut: 1, advance: 0, duplicates: 0.05 },
  { seed: 3, delayShare: 0.25, cut: 0.1, advance: 0, duplicates: 0.1 },
];

let app: ParcoursApp | null = null;
let clients: MqttClient[] = [];

afterEach(async () => {
  for (const client of clients) await client.endAsync();
  clients = [];
  await app?.stop();
  app = null;
});

async function register(parcours: ParcoursApp): Promise<Map<string, MqttClient>> {
  const post = (path: string, body: unknown) => api(parcours.urls.http, 'POST', `/api/v1${path}`, body);
  const since = iso(worldStart - day);
  for (const s of world.subjects) await post('/subjects', { ...s, name: s.id });
  for (const m of world.memberships) await post('/memberships', { ...m, validFrom: since });
  const connected = new Map<string, MqttClient>();
  for (const d of world.devices) {
    const created = await api<{ credentials: { secret: string } }>(parcours.urls.http, 'POST', '/api/v1/devices', { id: d.id, type: d.type });
    await post(`/devices/${d.id}/assignments`, { subjectId: d.owner, validFrom: since });
    const { client } = await connectRecording(parcours.urls.mqtt, { clientId: d.id, username: d.id, password: created.body.credentials.secret });
    clients.push(client);
    connected.set(d.id, client);
  }
  return connected;
}

/** Publishes one order's messages in its order, waiting for the stream to drain after each batch; then the batch re-derivation. */
async function streamThenBatch(order: OrderSpec): Promise<{ streamed: Derived; batched: Derived; late: number }> {
  app = await startApp(testConfig({ analytics: worldAnalytics, gateway: { maxLateness: '3650d' } }));
  const parcours = app;
  const devices = await register(parcours);
  const individualType = (id: string) => parcours.gateway.asOf.subjectType(id);
  for (const batch of arrivals(world, order, latenessMs).batches) {
    for (const { message } of batch.deliveries) {
      const topic = `${parcours.config.mqtt.baseTopic}/devices/${message.deviceId}/${message.channel}`;
      await devices.get(message.deviceId)!.publishAsync(topic, JSON.stringify({ ts: message.ts, seq: message.seq, ...message.body }), { qos: 1 });
    }
    await parcours.drained();
  }
  const streamed = derived(parcours.analytics, parcours.gateway.db, individualType);
  const late = Number(/^parcours_analytics_late_rederivations_total (\d+)$/m.exec(await scrapeMetrics(parcours.urls.http))?.[1]);
  await parcours.analytics.runBatch({ jobs: ['sessions', 'journeys', 'aggregates'], from: worldStart - day, to: worldStart + 2 * day });
  return { streamed, batched: derived(parcours.analytics, parcours.gateway.db, individualType), late };
}

const results = (d: Derived) => ({ sessions: d.sessions, journeys: d.journeys, pending: d.pending, aggregates: d.aggregates });

describe('a real Parcours streams what the batch re-derives, whatever the arrival order', () => {
  let reference: Derived | null = null;

  it.each(orders)('order %j', async (order) => {
    const { streamed, batched, late } = await streamThenBatch(order);
    expect(streamed.sessions.length).toBeGreaterThan(3);
    // The device offline replays what it buffered: late records, re-derived.
    expect(late).toBeGreaterThan(0);
    expect(results(streamed), 'the stream against the batch').toEqual(results(batched));
    reference ??= streamed;
    expect({ ...results(streamed), open: streamed.open, watermark: streamed.watermark }, 'against every message in order').toEqual({
      ...results(reference),
      open: reference.open,
      watermark: reference.watermark,
    });
  });
});
