import { errorCodes, type fleetSchema } from '@parcours/contracts';
import type { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';
import { TestFleet } from './test-fleet.js';

/**
 * `GET /fleet` over real MQTT and HTTP: a kettle online and a lamp that never said so; messages received
 * now count in the current hour's minutes, and messages received two hours ago only in the quarantine's
 * reasons (which count all it holds).
 */
const minute = 60_000;
let app: ParcoursApp;
let fleet: TestFleet;
const base = () => app.config.mqtt.baseTopic;

beforeAll(async () => {
  app = await startApp(testConfig());
  await api(app.urls.http, 'POST', '/api/v1/subjects', { id: 'home', kind: 'collective', type: 'household', name: 'Home' });
  fleet = new TestFleet(app);
  const since = Date.now() - 24 * 60 * minute;
  await fleet.connect('kettle', 'kettle', 'home', since);
  await fleet.connect('lamp', 'lamp', 'home', since);
  await fleet.publishRaw('kettle', 'status', 'online', true);
  for (let i = 0; i < 3; i++) await fleet.publish('kettle', 'telemetry', Date.now(), { metrics: { power_w: 1800 } });
  await fleet.event('lamp', Date.now(), 'interaction');
  await fleet.publishRaw('lamp', 'telemetry', '{"broken":');
  // Received two hours ago (a replay keeps its first receive time): out of the hour, but still held.
  const old = Date.now() - 120 * minute;
  const oldTelemetry = (seq: number) => Buffer.from(JSON.stringify({ ts: old, seq, metrics: { power_w: 1 } }));
  for (const deviceId of ['kettle', 'ghost'])
    await app.gateway.ingest({
      topic: `${base()}/devices/${deviceId}/telemetry`,
      payload: oldTelemetry(1000),
      receivedAt: old,
      clientId: deviceId,
      username: deviceId,
    });
});

afterAll(async () => {
  await fleet?.close();
  await app?.stop();
});

describe('GET /fleet', () => {
  it('counts the devices online, the messages of each minute of the last hour, and the quarantine by reason', async () => {
    const response = await api<z.input<typeof fleetSchema>>(app.urls.http, 'GET', '/api/v1/fleet');
    expect(response.status).toBe(200);
    const { at, devices, perMinute, quarantine } = response.body;
    expect(devices).toEqual({ registered: 2, online: 1 });
    expect(perMinute).toHaveLength(60);
    const currentMinute = Math.floor(Date.parse(at) / minute) * minute;
    expect(perMinute.map((m) => Date.parse(m.start))).toEqual(Array.from({ length: 60 }, (_, i) => currentMinute - (59 - i) * minute));
    expect(perMinute.reduce((sum, m) => sum + m.accepted, 0)).toBe(4);
    expect(perMinute.reduce((sum, m) => sum + m.quarantined, 0)).toBe(1);
    expect(quarantine).toEqual({
      held: 2,
      byReason: [
        { reason: errorCodes.badJson, count: 1 },
        { reason: errorCodes.unknownDevice, count: 1 },
      ],
    });
  });

  it('needs a key that may read', async () => {
    expect((await api(app.urls.http, 'GET', '/api/v1/fleet', undefined, null)).status).toBe(401);
  });
});
