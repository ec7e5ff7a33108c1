import { PassThrough } from 'node:stream';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, api, startApp, testConfig } from './helpers.js';

/** Every log line, at the most verbose level, while secrets and keys are issued, used and refused. */
let app: ParcoursApp;
let logs = '';

beforeAll(async () => {
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  app = await startApp(testConfig({ log: { level: 'trace' } }), stream);
});

afterAll(() => app.stop());

describe('secrets in logs', () => {
  it('gives a new device its MQTT credentials once', async () => {
    const created = await api<{ credentials: { username: string; secret: string } }>(app.urls.http, 'POST', '/api/v1/devices', { id: 'radio', type: 'radio' });
    expect(created.status).toBe(201);
    const client = await mqtt.connectAsync(app.urls.mqtt, {
      username: created.body.credentials.username,
      password: created.body.credentials.secret,
      reconnectPeriod: 0,
    });
    await client.endAsync();
    const again = await api<Record<string, unknown>>(app.urls.http, 'POST', '/api/v1/devices', { id: 'radio', type: 'radio' });
    expect(again.status).toBe(200);
    expect(again.body).not.toHaveProperty('credentials');
    expect(logs).not.toContain(created.body.credentials.secret);
  });

  it('never writes a device secret or an API key to the log', async () => {
    await api(app.urls.http, 'POST', '/api/v1/devices', { id: 'tv', type: 'tv' });
    const { body } = await api<{ secret: string }>(app.urls.http, 'POST', '/api/v1/devices/tv/credentials');
    const device = await mqtt.connectAsync(app.urls.mqtt, { username: 'tv', password: body.secret, reconnectPeriod: 0 });
    await device.endAsync();
    await expect(mqtt.connectAsync(app.urls.mqtt, { username: 'tv', password: `${body.secret}x`, reconnectPeriod: 0 })).rejects.toThrow();
    await api(app.urls.http, 'GET', '/api/v1/devices', undefined, `${adminKey()}x`);
    expect(logs).toContain('authentication failed'); // the log did record the events…
    for (const secret of [body.secret, adminKey()]) expect(logs).not.toContain(secret); // …but no secret
  });
});
