import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, scrapeMetrics, startApp, testConfig } from './helpers.js';
import { startInfluxDB, type InfluxServer } from '../tools/services/index.js';
import { waitUntil } from './mqtt-clients.js';

/** InfluxDB goes away during a steady publish and comes back: nothing is lost, nothing is written twice. */
const database = 'parcours_outage';
const total = 600;
const t0 = Date.UTC(2026, 1, 1);
let influx: InfluxServer;
let app: ParcoursApp;

async function influxCount(): Promise<number> {
  return (await influx.scalar('SELECT count("seq") FROM telemetry', database)) ?? 0;
}

beforeAll(async () => {
  influx = await startInfluxDB();
  app = await startApp(testConfig({ influx: { url: influx.url, database, batchSize: 50, pipelineInterval: '200ms' } }));
});

afterAll(async () => {
  await app?.stop();
  await influx?.stop();
});

describe('InfluxDB outage during ingest', () => {
  it('falls behind in the log while InfluxDB is down and catches up when it returns, with equal counts', async () => {
    const { body } = await api<{ credentials: { secret: string } }>(app.urls.http, 'POST', '/api/v1/devices', { id: 'meter', type: 'meter' });
    const device = await mqtt.connectAsync(app.urls.mqtt, { username: 'meter', password: body.credentials.secret });
    const publish = async (from: number, to: number) => {
      for (let seq = from; seq < to; seq++) {
        await device.publishAsync('parcours/devices/meter/telemetry', JSON.stringify({ ts: t0 + seq * 1000, seq, metrics: { power_w: seq } }), { qos: 1 });
        if (seq % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };

    await publish(0, 200);
    await app.drained();
    expect(await influxCount()).toBe(200);

    await influx.stop({ keepData: true });
    await publish(200, 400); // acknowledged while InfluxDB is down: stored in the log only
    expect(app.gateway.log.count()).toBe(400);
    expect(app.influxSink!.lag).toBeGreaterThan(0);
    // The lag in seconds is the age of the oldest record not written: a second after the outage began.
    await waitUntil(async () => /parcours_log_consumer_lag_seconds\{consumer="influx-raw"\} [1-9]/.test(await scrapeMetrics(app.urls.http)));
    expect(await scrapeMetrics(app.urls.http)).toMatch(/parcours_log_consumer_lag\{consumer="influx-raw"\} [1-9]/);

    influx = await startInfluxDB({ port: influx.port, dir: influx.dir });
    await publish(400, total);
    await app.drained();
    await device.endAsync();
    expect(app.influxSink!.lag).toBe(0);
    expect(await influxCount()).toBe(total);
    expect(app.gateway.log.count()).toBe(total);
  });

  it('quarantines a point InfluxDB refuses for good, with its message, and goes on', async () => {
    const { body } = await api<{ credentials: { secret: string } }>(app.urls.http, 'POST', '/api/v1/devices', { id: 'odd', type: 'meter' });
    const device = await mqtt.connectAsync(app.urls.mqtt, { username: 'odd', password: body.credentials.secret });
    // power_w is a float field in InfluxDB by now: a boolean of the same name is a field type conflict.
    for (const [seq, power] of [
      [1, 5],
      [2, true],
      [3, 7],
    ] as const) {
      await device.publishAsync('parcours/devices/odd/telemetry', JSON.stringify({ ts: t0 + 900_000 + seq, seq, metrics: { power_w: power } }), { qos: 1 });
    }
    await device.endAsync();
    await app.drained();
    const listed = await api<{ items: { reason: string; detail: string; deviceId: string }[] }>(
      app.urls.http,
      'GET',
      '/api/v1/quarantine?reason=PARCOURS_E_INFLUX_REFUSED',
    );
    expect(listed.body.items).toEqual([expect.objectContaining({ deviceId: 'odd', detail: expect.stringMatching(/field type conflict/) })]);
    expect(await influxCount()).toBe(total + 2);
    expect(app.influxSink!.lag).toBe(0);
  });

  it('writes its own figures to the pipeline measurement', async () => {
    const last = (stage: string, field: string) => influx.scalar(`SELECT last("${field}") FROM pipeline WHERE "stage" = '${stage}'`, database);
    // A point written since everything above was handled.
    await waitUntil(async () => (await last('ingest', 'log_depth')) === total + 3 && (await last('influx-raw', 'log_depth')) === 0);
    expect(await last('ingest', 'received')).toBeGreaterThanOrEqual(total + 3);
    expect(await last('ingest', 'log_depth')).toBe(total + 3);
    expect(await last('influx-raw', 'log_depth')).toBe(0);
    expect(await last('analytics-sessions', 'lag_s')).toBe(0);
  });
});
