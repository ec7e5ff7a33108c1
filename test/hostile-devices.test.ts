import { errorCodes } from '@parcours/contracts';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, scrapeMetrics, startApp, testConfig } from './helpers.js';
import { waitUntil } from './mqtt-clients.js';

/** Devices that try what they should not: each attempt is refused for what it is, counted, and shown with its sender. */
let app: ParcoursApp;
let intruderSecret: string;
const t0 = Date.UTC(2026, 8, 1);

beforeAll(async () => {
  app = await startApp(testConfig());
  await api(app.urls.http, 'POST', '/api/v1/devices', { id: 'victim', type: 'meter' });
  intruderSecret = (await api<{ credentials: { secret: string } }>(app.urls.http, 'POST', '/api/v1/devices', { id: 'intruder', type: 'meter' })).body
    .credentials.secret;
});

afterAll(() => app.stop());

/** One attempt over a real connection: the broker closes it after a denied publish, so each attempt has its own. */
async function impersonate(payload: string): Promise<void> {
  const client = await mqtt.connectAsync(app.urls.mqtt, { username: 'intruder', password: intruderSecret, reconnectPeriod: 0 });
  const before = app.gateway.quarantine.count();
  client.publish('parcours/devices/victim/telemetry', payload, { qos: 0 });
  await waitUntil(() => app.gateway.quarantine.count() > before);
  await client.endAsync(true);
}

describe('impersonation attempts', () => {
  it("are quarantined as a topic mismatch, not as the other device's payload error, with the sender shown", async () => {
    await impersonate('{"broken":');
    await impersonate(JSON.stringify({ ts: t0, seq: 'not a number', metrics: {} }));
    await impersonate(JSON.stringify({ ts: t0, seq: 1, metrics: { power_w: 1 } }));
    const { body } = await api<{ items: { reason: string; deviceId: string; username: string | null }[] }>(app.urls.http, 'GET', '/api/v1/quarantine?limit=10');
    expect(body.items).toHaveLength(3);
    for (const entry of body.items) expect(entry).toMatchObject({ reason: errorCodes.topicMismatch, deviceId: 'victim', username: 'intruder' });
    expect(app.gateway.log.count()).toBe(0);
  });
});

describe('a key named __proto__ in what a device sends', () => {
  it('is quarantined as a schema error naming it, and counted, instead of silently dropped: an event attribute', async () => {
    const client = await mqtt.connectAsync(app.urls.mqtt, { username: 'intruder', password: intruderSecret });
    const before = app.gateway.quarantine.count();
    const payload = `{"ts":${t0},"seq":7,"type":"door.opened","attrs":{"side":"left","__proto__":{"admin":true}}}`;
    await client.publishAsync('parcours/devices/intruder/events', payload, { qos: 1 });
    await client.endAsync();
    expect(app.gateway.quarantine.count()).toBe(before + 1);
    const { body } = await api<{ items: { reason: string; detail: string }[] }>(app.urls.http, 'GET', '/api/v1/quarantine?limit=1');
    expect(body.items[0]).toMatchObject({ reason: errorCodes.schema, detail: 'attrs.__proto__: __proto__ is not an attribute name' });
    expect(await scrapeMetrics(app.urls.http)).toMatch(/parcours_messages_quarantined_total\{reason="PARCOURS_E_SCHEMA"\} 1/);
  });

  it('and a telemetry metric', async () => {
    const client = await mqtt.connectAsync(app.urls.mqtt, { username: 'intruder', password: intruderSecret });
    const before = app.gateway.quarantine.count();
    const payload = `{"ts":${t0},"seq":8,"metrics":{"power_w":5,"__proto__":1}}`;
    await client.publishAsync('parcours/devices/intruder/telemetry', payload, { qos: 1 });
    await client.endAsync();
    expect(app.gateway.quarantine.count()).toBe(before + 1);
    const { body } = await api<{ items: { reason: string; detail: string }[] }>(app.urls.http, 'GET', '/api/v1/quarantine?limit=1');
    expect(body.items[0]).toMatchObject({ reason: errorCodes.schema, detail: 'metrics.__proto__: __proto__ is not a metric name' });
    expect(await scrapeMetrics(app.urls.http)).toMatch(/parcours_messages_quarantined_total\{reason="PARCOURS_E_SCHEMA"\} 2/);
  });
});
