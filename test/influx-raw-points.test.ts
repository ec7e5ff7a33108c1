import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { startInfluxDB, type InfluxServer } from '../tools/services/index.js';
import { api, startApp, testConfig } from './helpers.js';

/** Every stored message is its own point in InfluxDB, whatever the resolution of the device's clock. */
const database = 'parcours_raw_points';
const t0 = Date.UTC(2026, 1, 1);
let influx: InfluxServer;
let app: ParcoursApp;

beforeAll(async () => {
  influx = await startInfluxDB();
  app = await startApp(testConfig({ influx: { url: influx.url, database } }));
});

afterAll(async () => {
  await app?.stop();
  await influx?.stop();
});

async function registered(id: string, type: string): Promise<mqtt.MqttClient> {
  const { body } = await api<{ credentials: { secret: string } }>(app.urls.http, 'POST', '/api/v1/devices', { id, type });
  return mqtt.connectAsync(app.urls.mqtt, { username: id, password: body.credentials.secret });
}

describe('raw points in InfluxDB', () => {
  it('keeps messages of one device that share a timestamp apart: as many points as stored messages', async () => {
    const meter = await registered('meter-1', 'meter');
    const kettle = await registered('kettle-1', 'kettle');
    // A clock with one-second resolution sending 33 messages a second: 100 messages on 4 distinct timestamps.
    for (let seq = 1; seq <= 100; seq++) {
      const ts = t0 + Math.floor(seq / 33) * 1000;
      await meter.publishAsync('parcours/devices/meter-1/telemetry', JSON.stringify({ ts, seq, metrics: { power_w: seq } }), { qos: 1 });
      await kettle.publishAsync('parcours/devices/kettle-1/events', JSON.stringify({ ts, seq, type: 'button.pressed' }), { qos: 1 });
    }
    await Promise.all([meter.endAsync(), kettle.endAsync()]);
    await app.drained();
    expect(app.gateway.log.count()).toBe(200);
    expect(await influx.scalar(`SELECT count("seq") FROM telemetry WHERE device = 'meter-1'`, database)).toBe(100);
    expect(await influx.scalar(`SELECT count("seq") FROM usage_event WHERE device = 'kettle-1'`, database)).toBe(100);
    // The metric of each message is there, not the last one of its second only.
    expect(await influx.scalar(`SELECT sum("power_w") FROM telemetry WHERE device = 'meter-1'`, database)).toBe(5050);
  });
});
