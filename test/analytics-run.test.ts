import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PendingJourney } from '@parcours/analytics';
import { builtInSessionRules, type Config, type Journey, type UsageSession } from '@parcours/contracts';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCommandStore } from '../src/commands/command-store.js';
import { batchAnalytics } from '../src/commands/batch-analytics.js';
import { startInfluxDB, type InfluxServer } from '../tools/services/index.js';
import { startApp, testConfig } from './helpers.js';
import { runSmallFleet } from './simulated-run.js';

/**
 * Streaming equals batch: the `small` fleet publishes simulated hours to a real Parcours writing to a real
 * InfluxDB; once the streaming jobs have caught up and the server is stopped, `parcours analytics run`
 * re-derives the whole log on its data folder. Every session and journey it leaves must be the stream's,
 * id and field for field, and InfluxDB must hold as many session and journey points as before.
 */
const hour = 3_600_000;
const bin = fileURLToPath(new URL('../bin/parcours.js', import.meta.url));
// Sessions up to 4 h (the threshold types keep their built-in rules): the comparison leaves out those
// that may still be open in the stream, starting less than the longest session before its watermark.
const longestMs = 4 * hour;
const sessionRules = Object.fromEntries(Object.entries(builtInSessionRules).map(([type, rule]) => [type, { ...rule, maxLength: '4h' }]));

interface Derived {
  sessions: UsageSession[];
  journeys: Journey[];
  /** The journeys still open in the stream, by subject. */
  pending: PendingJourney[];
  watermark: number;
  points: { sessions: number; journeys: number; transitions: number };
}

let influx: InfluxServer;

beforeAll(async () => {
  influx = await startInfluxDB();
});
afterAll(async () => {
  await influx?.stop();
});

async function influxPoints(database: string): Promise<Derived['points']> {
  const count = async (measurement: string, field: string) => (await influx.scalar(`SELECT count("${field}") FROM ${measurement}`, database)) ?? 0;
  return { sessions: await count('usage_session', 'events'), journeys: await count('journey', 'steps'), transitions: await count('transition', 'count') };
}

/** Everything derived in the store, read through a gateway opened on the stopped server's data folder. */
async function readStore(config: Config): Promise<Omit<Derived, 'points'>> {
  const { gateway, store } = openCommandStore(config, pino({ level: 'silent' }));
  try {
    const analytics = batchAnalytics(config, gateway, null, pino({ level: 'silent' }));
    const all = [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] as const;
    return {
      sessions: analytics.sessionStore.listInRange(...all),
      journeys: analytics.journeyStore.listInRange(...all),
      // Steps in start order: the stream keeps them in the order sessions closed, which means nothing.
      pending: analytics.journeyStore
        .loadPending()
        .map((p) => ({ ...p, steps: [...p.steps].sort((a, b) => a.start - b.start || a.sessionId.localeCompare(b.sessionId)) }))
        .sort((a, b) => a.subjectId.localeCompare(b.subjectId)),
      watermark: analytics.sessionStore.loadWatermark(),
    };
  } finally {
    store.close();
  }
}

/** Streams a window of the small fleet through a real Parcours, stops it, then runs the batch over the whole log. */
interface Run {
  from: number;
  to: number;
  seed: number;
  /** The simulator's fault rates in place of the scenario's own. */
  faults?: Record<string, unknown>;
  /** Actor inference on both sides: decided by the watermark from the log, it must come out the same. */
  inference: boolean;
}

async function streamThenBatch(window: Run) {
  const database = `parcours_batch_${window.seed}`;
  const config = testConfig({
    mqtt: { allowAnonymous: true },
    analytics: { sessionMaxLength: '4h', sessionRules, actorInference: window.inference },
    influx: { url: influx.url, database },
  });
  const app = await startApp(config);
  const summary = await runSmallFleet(app, window);
  await app.stop();
  const streamed: Derived = { ...(await readStore(config)), points: await influxPoints(database) };
  const cli = spawnSync('node', [bin, 'analytics', 'run'], {
    encoding: 'utf8',
    env: {
      ...process.env,
      PARCOURS_DATA_DIR: config.data.dir,
      INFLUX_URL: influx.url,
      INFLUX_DATABASE: database,
      PARCOURS_LOG_FORMAT: 'json',
      // The server's analytics settings: the batch derives with the rules the stream used.
      PARCOURS_ANALYTICS_SESSION_MAX_LENGTH: '4h',
      PARCOURS_ANALYTICS_SESSION_RULES: JSON.stringify(sessionRules),
      PARCOURS_ANALYTICS_ACTOR_INFERENCE: String(window.inference),
    },
  });
  const batched: Derived = { ...(await readStore(config)), points: await influxPoints(database) };
  return { summary, cli, streamed, batched, dataDir: config.data.dir };
}

/** What the stream has decided for good: sessions and journeys starting at least a longest session before its watermark. */
function decided(d: Derived, watermark: number): { sessions: UsageSession[]; journeys: Journey[] } {
  const settled = watermark - longestMs;
  return { sessions: d.sessions.filter((s) => s.start < settled), journeys: d.journeys.filter((j) => j.start < settled) };
}

describe('parcours analytics run over the whole log gives what streaming gave', () => {
  // A weekday from 05:00 to 17:00 with the scenario's own faults (malformed JSON, wrong types, unknown devices).
  const from = Date.UTC(2026, 2, 2, 5);
  const to = from + 12 * hour;
  let r: Awaited<ReturnType<typeof streamThenBatch>>;

  beforeAll(async () => {
    r = await streamThenBatch({ from, to, seed: 11, inference: false });
  });

  it("runs on the stopped server's data folder, with progress, and exits 0", () => {
    expect(r.summary.failed).toBe(0);
    expect(r.cli.status, r.cli.stderr).toBe(0);
    expect(r.cli.stderr).toMatch(/sessions: \[#{20}\] 100% [\d,]+\/[\d,]+ records/);
    expect(r.cli.stdout).toMatch(/re-derived [\d,]+ sessions, [\d,]+ journeys, [\d,]+ days in/);
  });

  it('refuses to run with analytics settings other than those the server derived with', () => {
    const cli = spawnSync('node', [bin, 'analytics', 'run', '--job', 'sessions'], {
      encoding: 'utf8',
      env: { ...process.env, PARCOURS_DATA_DIR: r.dataDir, PARCOURS_LOG_FORMAT: 'json', PARCOURS_ANALYTICS_SESSION_MAX_LENGTH: '4h' },
    });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain('these settings differ from those the server derived with: sessionRules, actorInference');
  });

  it('refuses to run beside a running server, whose sessions and journeys in progress would overwrite its own', async () => {
    const app = await startApp(testConfig({ data: { dir: r.dataDir }, analytics: { sessionMaxLength: '4h', sessionRules, actorInference: false } }));
    try {
      const cli = spawnSync('node', [bin, 'analytics', 'run', '--job', 'sessions'], {
        encoding: 'utf8',
        env: {
          ...process.env,
          PARCOURS_DATA_DIR: r.dataDir,
          PARCOURS_LOG_FORMAT: 'json',
          // The server's settings: nothing else would stop it.
          PARCOURS_ANALYTICS_SESSION_MAX_LENGTH: '4h',
          PARCOURS_ANALYTICS_SESSION_RULES: JSON.stringify(sessionRules),
          PARCOURS_ANALYTICS_ACTOR_INFERENCE: 'false',
        },
      });
      expect(cli.status).toBe(1);
      expect(cli.stderr).toContain('PARCOURS_E_SERVER_RUNNING');
      expect(cli.stderr).toContain('stop it first');
      expect(cli.stderr).not.toContain('sessions: [');
    } finally {
      await app.stop();
    }
  });

  it('leaves every session and journey the stream decided exactly as it was, ids and fields', () => {
    const { watermark } = r.streamed;
    expect(r.batched.watermark).toBe(watermark);
    const streamed = decided(r.streamed, watermark);
    const batched = decided(r.batched, watermark);
    expect(streamed.sessions.length).toBeGreaterThan(50);
    expect(streamed.journeys.length).toBeGreaterThan(15);
    expect(batched.sessions).toEqual(streamed.sessions);
    expect(batched.journeys).toEqual(streamed.journeys);
    expect(r.batched.pending, 'the journeys still open, which the stream goes on with').toEqual(r.streamed.pending);
  });

  it('replaces the InfluxDB points, never adding', () => {
    expect(r.streamed.points.sessions).toBe(r.streamed.sessions.length);
    expect(r.batched.points).toMatchObject({ sessions: r.batched.sessions.length, journeys: r.batched.journeys.length });
    expect(r.batched.points.sessions).toBeLessThanOrEqual(r.streamed.points.sessions);
    // The aggregates of the days are recomputed, not added to.
    expect(r.streamed.points.transitions).toBeGreaterThan(10);
    expect(r.batched.points.transitions).toBe(r.streamed.points.transitions);
  });
});

describe('with late data: devices offline that replay what they buffered', () => {
  // Late records re-derive, in the stream, the sessions and journeys they fall in (late-records.ts):
  // the batch, which reads the log in device-time order, must find nothing to change.
  const from = Date.UTC(2026, 2, 4, 5);
  const to = from + 8 * hour;
  const faults = { offlinePerDevicePerDay: 6, offlineDuration: { min: '5m', max: '50m' }, duplicatePerDay: 24, redeliveryPerDay: 24, reconnectStormsPerDay: 6 };
  let r: Awaited<ReturnType<typeof streamThenBatch>>;

  beforeAll(async () => {
    // Inference on, though each of small's households has a member with no personal device, so nobody is
    // inferred: stream = batch with inferred actors is the property test's (stream-equals-batch.test.ts).
    r = await streamThenBatch({ from, to, seed: 3, faults, inference: true });
  });

  it('had devices replay late records', () => {
    expect(r.summary.failed).toBe(0);
    expect(r.summary.groundTruth.faults.filter((f) => f.kind === 'offline').length).toBeGreaterThan(10);
    expect(r.cli.status, r.cli.stderr).toBe(0);
  });

  it('leaves every session and journey the stream decided exactly as it was', () => {
    const { watermark } = r.streamed;
    const streamed = decided(r.streamed, watermark);
    const batched = decided(r.batched, watermark);
    expect(streamed.sessions.length).toBeGreaterThan(20);
    expect(batched.sessions).toEqual(streamed.sessions);
    expect(batched.journeys).toEqual(streamed.journeys);
    expect(r.batched.pending).toEqual(r.streamed.pending);
    expect(r.batched.points).toMatchObject({ sessions: r.batched.sessions.length, journeys: r.batched.journeys.length });
  });
});
