import { hostname } from 'node:os';
import { listDashboardQueries, readShippedDashboards, substitute } from '@parcours/dashboards';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { startInfluxDB, type InfluxServer } from '../tools/services/index.js';
import { api, scrapeMetrics, startApp, testConfig } from './helpers.js';
import { waitUntil } from './mqtt-clients.js';

/**
 * The log's size and the readers' lag count stored records: a redelivered message is turned away by the
 * log (though it takes an offset there), so it is neither in the log's size nor behind any reader.
 */
const database = 'parcours_log_metrics';
const t0 = Date.UTC(2026, 1, 1);
let influx: InfluxServer;
let app: ParcoursApp;
let device: mqtt.MqttClient;

beforeAll(async () => {
  influx = await startInfluxDB();
  app = await startApp(testConfig({ influx: { url: influx.url, database, pipelineInterval: '200ms' } }));
  const { body } = await api<{ credentials: { secret: string } }>(app.urls.http, 'POST', '/api/v1/devices', { id: 'meter', type: 'meter' });
  device = await mqtt.connectAsync(app.urls.mqtt, { username: 'meter', password: body.credentials.secret });
});

afterAll(async () => {
  await device?.endAsync();
  await app?.stop();
  await influx?.stop();
});

/** Publishes `[from, to)` over MQTT, each message twice (a redelivery of the same seq). */
async function publishTwice(from: number, to: number): Promise<void> {
  for (let seq = from; seq < to; seq++) {
    const payload = JSON.stringify({ ts: t0 + seq * 1000, seq, metrics: { power_w: seq } });
    for (let copy = 0; copy < 2; copy++) await device.publishAsync('parcours/devices/meter/telemetry', payload, { qos: 1 });
  }
}

/** A gauge's value in a scrape of /metrics. */
function gauge(metrics: string, name: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

/** The last value of each series of a fleet dashboard panel, by its `stage` tag (or `ingest`), over `[from, now]`. */
async function panelLastValues(title: string, from: number): Promise<Record<string, number>> {
  const dashboard = readShippedDashboards()
    .map((d) => d.dashboard)
    .find((d) => d.uid === 'parcours-fleet-pipeline')!;
  const panel = listDashboardQueries(dashboard).find((p) => p.title === title)!;
  const query = substitute(panel.query, { from, to: Date.now(), interval: '1s', vars: { node: [hostname()] } });
  const body = (await influx.query(query, database)) as { results: { series?: { tags?: Record<string, string>; values: number[][] }[] }[] };
  return Object.fromEntries((body.results[0]?.series ?? []).map((s) => [s.tags?.stage ?? 'ingest', s.values.at(-1)![1]!]));
}

describe('log metrics after duplicates', () => {
  it('count stored records: the log holds 40 after 80 publishes, and readers that handled them are 0 behind', async () => {
    await publishTwice(0, 40);
    await app.drained();
    expect(app.gateway.log.count()).toBe(40);
    const metrics = await scrapeMetrics(app.urls.http);
    expect(gauge(metrics, 'parcours_messages_duplicate_total')).toBe(40);
    expect(gauge(metrics, 'parcours_log_head')).toBe(40);
    expect(gauge(metrics, 'parcours_log_consumer_lag{consumer="influx-raw"}')).toBe(0);
    expect(gauge(metrics, 'parcours_log_consumer_lag{consumer="analytics-sessions"}')).toBe(0);

    // The fleet dashboard reads the same figures from the pipeline measurement: a point written since.
    const handled = Date.now();
    await waitUntil(async () => ((await influx.scalar(`SELECT count("log_depth") FROM pipeline WHERE time >= ${handled}ms`, database)) ?? 0) > 0);
    expect(await panelLastValues('Durable log size', handled)).toEqual({ ingest: 40 });
    expect(await panelLastValues('Records behind, per reader', handled)).toEqual({ 'influx-raw': 0, 'analytics-sessions': 0, 'survey-replies': 0 });
  });

  it('count the records a stalled reader has still to handle, not the offsets duplicates took between them', async () => {
    await influx.stop({ keepData: true });
    await publishTwice(40, 50); // stored in the log; the InfluxDB sink cannot write them
    await app.analytics.caughtUp();
    const metrics = await scrapeMetrics(app.urls.http);
    expect(gauge(metrics, 'parcours_log_head')).toBe(50);
    expect(gauge(metrics, 'parcours_log_consumer_lag{consumer="influx-raw"}')).toBe(10);
    expect(gauge(metrics, 'parcours_log_consumer_lag{consumer="analytics-sessions"}')).toBe(0);

    influx = await startInfluxDB({ port: influx.port, dir: influx.dir });
    await app.drained();
    expect(gauge(await scrapeMetrics(app.urls.http), 'parcours_log_consumer_lag{consumer="influx-raw"}')).toBe(0);
    expect(await influx.scalar('SELECT count("seq") FROM telemetry', database)).toBe(50);
  });
});
