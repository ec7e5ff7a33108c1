import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analytics, analyticsMigrations, type OpenSession, type PendingJourney } from '@parcours/analytics';
import { configSchema, type Config, type Journey, type UsageSession } from '@parcours/contracts';
import { createGatewayMetrics, EmbeddedStore, Gateway, gatewayMigrations, type Database } from '@parcours/gateway';
import { pino } from 'pino';
import { Registry } from 'prom-client';
// The aggregates are pure functions of the stored sessions and journeys, computed here as the API serves them.
import { aggregateActivity } from '../../analytics/src/aggregates/activity.js';
import { AggregateStore } from '../../analytics/src/aggregates/aggregate-store.js';
import { aggregateTransitions } from '../../analytics/src/aggregates/transitions.js';
import { aggregateUsageHours } from '../../analytics/src/aggregates/usage-hours.js';
import { aggregateSharedUsage } from '../../analytics/src/aggregates/usage-shares.js';
import { dayMs, dayOf } from '../../analytics/src/calendar.js';
import type { Arrivals } from './arrivals.js';
import { sessionRules, worldStart, type World, type WorldMessage } from './world.js';

/**
 * Streams one arrival order of a world through the real gateway ingest (clock correction, attribution,
 * deduplication, the durable log) and the real analytics (the sessions job and its followers, following
 * the log batch by batch, the watermark moved by a clock the test sets), in process: no broker, no
 * socket. Then, the stream stopped, runs the batch re-derivation of every job over the same log, as
 * `parcours analytics run` does, and returns what each left in the store.
 */

export const latenessMs = 2 * 60_000;

export interface Derived {
  sessions: UsageSession[];
  journeys: Journey[];
  /** The journeys still open, by subject, steps by start. */
  pending: PendingJourney[];
  open: OpenSession[];
  watermark: number;
  aggregates: { transitions: unknown[]; activity: unknown[]; sharedUsage: unknown[]; usageHours: unknown[] };
}

/** How often the stream took the paths an arrival order can send it down. */
export interface Exercised {
  /** Deliveries the gateway turned away as already stored. */
  duplicates: number;
  /** Clock advances that moved the watermark. */
  clockAdvances: number;
  /** Devices re-derived for records older than their frontier. */
  lateRederivations: number;
  /** Subjects whose journeys were rebuilt from the store. */
  journeyRebuilds: number;
}

async function counter(metrics: Registry, name: string): Promise<number> {
  const metric = await metrics.getSingleMetric(name)?.get();
  return metric?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
}

/** The analytics settings of the worlds: short timeouts, so that a few hours hold many sessions, journeys and inferences. */
export const worldAnalytics = {
  sessionIdleTimeout: '10m',
  sessionMaxLength: '1h',
  sessionRules,
  allowedLateness: `${latenessMs}ms`,
  actorInference: true,
  actorInferenceWindow: '10m',
  journeyGap: '15m',
};

function worldConfig(dir: string): Config {
  return configSchema.parse({
    data: { dir, logRetention: '0s' },
    log: { level: 'error' },
    sim: { scenario: 'none' },
    gateway: { maxClockSkew: '5m', maxLateness: '7d' },
    // The timer that looks for a quiet log: what the watermark moves to is the test's clock, set between batches.
    analytics: { ...worldAnalytics, idleAdvanceAfter: '2ms' },
  });
}

const everything = [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] as const;

/** Everything the analytics left in the store `db`, and the aggregates computed from it. */
export function derived(analytics: Analytics, db: Database, individualType: (id: string) => string | null): Derived {
  const aggregates = new AggregateStore(db);
  const day = dayOf(worldStart);
  const sessions = aggregates.activitySessions(day, day + dayMs);
  return {
    sessions: analytics.sessionStore.listInRange(...everything),
    journeys: analytics.journeyStore.listInRange(...everything),
    pending: analytics.journeyStore
      .loadPending()
      .map((p) => ({ ...p, steps: [...p.steps].sort((a, b) => a.start - b.start || a.sessionId.localeCompare(b.sessionId)) }))
      .sort((a, b) => a.subjectId.localeCompare(b.subjectId)),
    open: analytics.sessionStore.loadOpen().sort((a, b) => a.deviceId.localeCompare(b.deviceId)),
    watermark: analytics.sessionStore.loadWatermark(),
    aggregates: {
      transitions: aggregateTransitions(aggregates.journeySteps(day, day + dayMs)),
      activity: aggregateActivity(sessions, 'day', individualType),
      sharedUsage: aggregateSharedUsage(aggregates.sharedSessions(day, day + dayMs)),
      usageHours: aggregateUsageHours(sessions),
    },
  };
}

function register(gateway: Gateway, world: World): void {
  const since = worldStart - dayMs;
  for (const s of world.subjects) gateway.registry.createSubject({ ...s, name: s.id, attributes: {} });
  for (const m of world.memberships) gateway.registry.createMembership({ ...m, role: null, validFrom: since, validTo: null });
  for (const d of world.devices) {
    gateway.registry.createDevice({ id: d.id, type: d.type, model: null, name: null });
    gateway.registry.createAssignment({ deviceId: d.id, subjectId: d.owner, validFrom: since, validTo: null });
  }
}

function inbound(baseTopic: string, message: WorldMessage, receivedAt: number) {
  const payload = { ts: message.ts, seq: message.seq, ...message.body };
  return {
    topic: `${baseTopic}/devices/${message.deviceId}/${message.channel}`,
    payload: Buffer.from(JSON.stringify(payload)),
    receivedAt,
    clientId: message.deviceId,
    username: message.deviceId,
  };
}

/** Streams the arrivals, then runs the batch over the same log: what the store held after each. */
export async function streamThenBatch(world: World, arrivals: Arrivals): Promise<{ streamed: Derived; batched: Derived; exercised: Exercised }> {
  const dir = mkdtempSync(join(tmpdir(), 'parcours-stream-batch-'));
  const config = worldConfig(dir);
  const errors: string[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });
  const store = EmbeddedStore.open(config.data, [...gatewayMigrations, ...analyticsMigrations]);
  let clock = Number.NEGATIVE_INFINITY;
  const metrics = new Registry();
  const gateway = new Gateway({ store, config, logger, metrics: createGatewayMetrics(new Registry()) });
  register(gateway, world);
  const parcours = new Analytics({
    config,
    db: gateway.db,
    log: gateway.log,
    offsets: gateway.offsets,
    registry: gateway.asOf,
    influx: null,
    publish: async () => undefined,
    logger,
    metrics,
    now: () => clock,
  });
  const exercised: Exercised = { duplicates: 0, clockAdvances: 0, lateRederivations: 0, journeyRebuilds: 0 };
  const individualType = (id: string) => gateway.asOf.subjectType(id);
  /** Waits for a condition of the stream, failing at once on an error it logged (a failed batch would be retried forever). */
  const until = async (condition: () => boolean) => {
    while (!condition()) {
      if (errors.length > 0) throw new Error(`the analytics logged an error: ${errors.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  const advanceClock = async (to: number) => {
    clock = to;
    if (parcours.sessionStore.loadWatermark() < to - latenessMs) exercised.clockAdvances += 1;
    await until(() => parcours.sessionStore.loadWatermark() >= to - latenessMs);
  };
  let running = true;
  try {
    await parcours.start();
    for (const batch of arrivals.batches) {
      if (batch.clock !== null) await advanceClock(batch.clock);
      const outcomes = await Promise.all(batch.deliveries.map((d) => gateway.ingest(inbound(config.mqtt.baseTopic, d.message, d.receivedAt))));
      if (outcomes.includes('quarantined')) throw new Error('a message of the world was quarantined');
      await until(() => parcours.status().lag === 0);
      exercised.duplicates += outcomes.filter((o) => o === 'duplicate').length;
    }
    await advanceClock(arrivals.finalClock);
    const streamed = derived(parcours, gateway.db, individualType);
    exercised.lateRederivations = await counter(metrics, 'parcours_analytics_late_rederivations_total');
    exercised.journeyRebuilds = await counter(metrics, 'parcours_analytics_journey_rebuilds_total');
    running = false;
    await parcours.stop();
    await parcours.runBatch({ jobs: ['sessions', 'journeys', 'aggregates'], from: worldStart - dayMs, to: worldStart + 2 * dayMs });
    if (errors.length > 0) throw new Error(`the batch logged an error: ${errors.join('\n')}`);
    return { streamed, batched: derived(parcours, gateway.db, individualType), exercised };
  } finally {
    if (running) await parcours.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
