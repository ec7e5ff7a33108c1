import { rm } from 'node:fs/promises';
import { Analytics, analyticsMigrations, batchJobNames, readRange, rederiveReadOptions, type SessionRules } from '@parcours/analytics';
import { configSchema, type Config } from '@parcours/contracts';
import { city, generateTimeline, parseScenario, registerWorld } from '@parcours/firmware-sim';
import { createGatewayMetrics, EmbeddedStore, Gateway, gatewayMigrations } from '@parcours/gateway';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { startParcours } from './targets.js';

/**
 * Full re-derivation of a city run: the `city` world is registered through a real Parcours, then hours
 * of its timeline go straight into the gateway's ingest (no MQTT: only the log matters here) until the
 * log holds `minEvents`. Timed on that log: reading its range alone as the re-derivation reads it (the baseline), and the batch jobs
 * of `parcours analytics run` (sessions, then journeys) over it.
 */
const minEvents = Number(process.env.BENCH_REDERIVE_EVENTS ?? 1_000_000);
const from = Date.UTC(2026, 2, 3, 5); // a Tuesday, 05:00
const hour = 3_600_000;
const seed = 17;

export interface RederiveFigures {
  events: number;
  readRate: number;
  rederiveRate: number;
  sessions: number;
  journeys: number;
}

function gatewayOn(config: Config): { gateway: Gateway; store: EmbeddedStore } {
  const store = EmbeddedStore.open(config.data, [...gatewayMigrations, ...analyticsMigrations]);
  return { store, gateway: new Gateway({ store, config, logger: pino({ level: 'silent' }), metrics: createGatewayMetrics(new Registry()) }) };
}

/** Fills a fresh data folder with a city run of at least `minEvents` accepted messages; returns its config. */
async function cityLog(): Promise<Config> {
  const world = parseScenario(city());
  const server = await startParcours(0, { sync: 'normal' });
  await registerWorld(world, { apiUrl: server.http, apiKey: 'bench-admin-key-0123456789abcdef', logger: pino({ level: 'silent' }), concurrency: 32 });
  await server.stop();
  // Fixed dates whatever the machine's clock says, as the tests do.
  const config = configSchema.parse({
    data: { dir: server.dataDir, sync: 'normal', logRetention: '0s' },
    sim: { scenario: 'none' },
    gateway: { maxClockSkew: '3650d', maxLateness: '3650d' },
  });
  const { gateway, store } = gatewayOn(config);
  try {
    for (let start = from; gateway.log.count() < minEvents; start += hour) {
      const { messages } = generateTimeline(world, seed, start, start + hour);
      const valid = messages.filter((m) => m.fault === undefined);
      // Concurrent ingests share the gateway's batched transactions.
      for (let i = 0; i < valid.length; i += 2_000) {
        await Promise.all(
          valid.slice(i, i + 2_000).map((m) =>
            gateway.ingest({
              topic: `parcours/devices/${m.deviceId}/${m.channel}`,
              payload: Buffer.from(m.payload),
              receivedAt: m.sendAt ?? m.ts,
              clientId: m.deviceId,
              username: m.deviceId,
            }),
          ),
        );
      }
      process.stderr.write(`city log: ${gateway.log.count().toLocaleString('en')} events up to ${new Date(start + hour).toISOString()}\n`);
    }
  } finally {
    store.close();
  }
  return config;
}

/**
 * Reads the range a whole-log re-derivation reads, as it reads it (threshold types' metrics, no attrs),
 * and nothing else; returns records read.
 */
function readOnly(gateway: Gateway, range: { from: number; to: number }, rules: SessionRules): number {
  let read = 0;
  for (const chunk of gateway.log.readTimeRange(range.from, range.to, rederiveReadOptions(rules))) read += chunk.length;
  return read;
}

export async function rederiveCity(): Promise<RederiveFigures> {
  const config = await cityLog();
  const { gateway, store } = gatewayOn(config);
  try {
    const span = gateway.log.timeSpan()!;
    const analytics = new Analytics({
      config,
      db: gateway.db,
      log: gateway.log,
      offsets: gateway.offsets,
      registry: gateway.asOf,
      influx: null,
      publish: async () => undefined,
      logger: pino({ level: 'silent' }),
    });
    const rules = analytics.sessionRules;
    const range = readRange(rules, span.from, span.to + 1);
    let started = performance.now();
    const events = readOnly(gateway, range, rules);
    const readRate = (events * 1000) / (performance.now() - started);
    started = performance.now();
    const run = await analytics.runBatch({ jobs: batchJobNames, from: span.from, to: span.to + 1 });
    const rederiveRate = (events * 1000) / (performance.now() - started);
    const count = (unit: string) => run.results.find((r) => r.unit === unit)?.count ?? 0;
    return { events, readRate, rederiveRate, sessions: count('sessions'), journeys: count('journeys') };
  } finally {
    store.close();
    await rm(config.data.dir, { recursive: true, force: true });
  }
}
