import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxDB, type InfluxServer } from '../tools/services/index.js';
import { api, startApp, testConfig } from './helpers.js';
import { waitUntil } from './mqtt-clients.js';
import { startNodeProcess, type NodeProcess } from './node-process.js';
import { runSmallFleet } from './simulated-run.js';

/**
 * A data folder that Parcours filled without InfluxDB, then started with it: InfluxDB gets the raw
 * telemetry from the log and every derived result from the store, once; a funnel declared later gets its
 * points too, and nothing already written is written again.
 */
const from = Date.UTC(2026, 2, 2); // a Monday
const to = from + 24 * 3_600_000;
const database = 'parcours_catch_up';
const funnel = { name: 'morning', countBy: 'collective', window: '1h', steps: [{ deviceType: 'coffee_machine' }, { deviceType: 'water_heater' }] };

let influx: InfluxServer;
let node: NodeProcess | null = null;
let dataDir: string;
const stored = { telemetry: 0, sessions: 0, journeys: 0 };

beforeAll(async () => {
  // The settings the process below is started with, so that it derives nothing differently.
  const config = testConfig();
  dataDir = config.data.dir;
  const app = await startApp(config);
  try {
    await runSmallFleet(app, { from, to, seed: 5 });
    stored.telemetry = app.gateway.log.count({ channel: 'telemetry' });
    stored.sessions = app.analytics.sessionStore.listInRange(0, Number.MAX_SAFE_INTEGER).length;
    stored.journeys = app.analytics.journeyStore.listInRange(0, Number.MAX_SAFE_INTEGER).length;
  } finally {
    await app.stop();
  }
  influx = await startInfluxDB();
});

afterAll(async () => {
  await node?.kill();
  await influx?.stop();
});

/** `parcours start` on the data folder, writing to InfluxDB, with these extra settings. */
function startWithInflux(env: Record<string, string> = {}): Promise<NodeProcess> {
  return startNodeProcess({
    PARCOURS_DATA_DIR: dataDir,
    PARCOURS_ANALYTICS_IDLE_ADVANCE_AFTER: '0s',
    PARCOURS_ANALYTICS_AGGREGATE_INTERVAL: '200ms',
    PARCOURS_ANALYTICS_RETENTION_INTERVAL: '200ms',
    INFLUX_URL: influx.url,
    INFLUX_DATABASE: database,
    ...env,
  });
}

const count = async (q: string) => (await influx.scalar(q, database)) ?? 0;

describe('InfluxDB enabled on a data folder filled without it', () => {
  it('writes the derived results of the store, not only the raw telemetry of the log', async () => {
    expect(stored.sessions).toBeGreaterThan(20);
    expect(stored.journeys).toBeGreaterThan(5);
    node = await startWithInflux();
    // The raw telemetry from the log, the aggregates (whose last step this is) from the store.
    await waitUntil(async () => (await count('SELECT count("seq") FROM telemetry')) === stored.telemetry);
    await waitUntil(async () => (await count('SELECT sum("sessions") FROM usage_hour')) === stored.sessions);
    expect(await count('SELECT count("events") FROM usage_session')).toBe(stored.sessions);
    expect(await count('SELECT count("steps") FROM journey')).toBe(stored.journeys);
    expect(await count(`SELECT count("sessions") FROM activity WHERE "period" = 'day'`)).toBeGreaterThan(0);
    expect(await count('SELECT count("count") FROM transition')).toBeGreaterThan(0);
    await waitUntil(async () => (await count('SELECT count("cohort_size") FROM "retention"')) > 0);
  });

  it('writes a funnel declared later, and does not write again what it has written', async () => {
    await node!.kill();
    node = null;
    // A point gone from InfluxDB since: a start that rewrote the sessions would bring it back.
    const [first] = (
      (await influx.query('SELECT "events", "device" FROM usage_session LIMIT 1', database)) as { results: { series: { values: [number][] }[] }[] }
    ).results[0]!.series[0]!.values;
    await influx.query(`DELETE FROM usage_session WHERE time = ${first![0]}ms`, database);
    expect(await count('SELECT count("events") FROM usage_session')).toBe(stored.sessions - 1);

    node = await startWithInflux({ PARCOURS_ANALYTICS_FUNNELS: JSON.stringify([funnel]) });
    const expected = await api<{ steps: { reached: number }[] }>(
      node.http,
      'GET',
      `/api/v1/funnels/morning?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
    );
    expect(expected.body.steps[0]!.reached).toBeGreaterThan(0);
    // Funnels catch up after the sessions: by then these were left as they were.
    await waitUntil(async () => (await count(`SELECT count("reached") FROM funnel WHERE "funnel" = 'morning'`)) > 0);
    for (const [index, step] of expected.body.steps.entries()) {
      expect(await count(`SELECT sum("reached") FROM funnel WHERE "funnel" = 'morning' AND "step" = '${index + 1}'`)).toBe(step.reached);
    }
    expect(await count('SELECT count("events") FROM usage_session')).toBe(stored.sessions - 1);
    expect(await count('SELECT count("steps") FROM journey')).toBe(stored.journeys);
  });
});
