import {
  faultRatesSchema,
  generateTimeline,
  loadScenario,
  unknownDeviceIds,
  type World,
  type GroundTruth,
  type SimulationSummary,
} from '@parcours/firmware-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, scrapeMetrics, startApp, testConfig } from './helpers.js';
import { runFleet } from './simulated-run.js';

/**
 * The `small` fleet with every fault on, against a real Parcours with its default device-time rules:
 * what the gateway stored, counted as duplicates, quarantined and corrected must be what the ground
 * truth says. The window ends an hour before now, so the gateway's real receive time judges the clocks.
 */
const hour = 3_600_000;
const to = Math.floor(Date.now() / hour) * hour - hour;
const from = to - 6 * hour;
// The window moves with the real date, so the plan differs from day to day: at 48 a day, a kind is
// missing from a 6 h window with probability (3/4)^48 ≈ 1e-6; storms at 24 a day, (3/4)^24 ≈ 1e-3.
const faults = {
  malformedJsonPerDay: 48,
  wrongTypesPerDay: 48,
  unknownFieldsPerDay: 48,
  oversizePerDay: 48,
  unknownDevicePerDay: 48,
  duplicatePerDay: 48,
  redeliveryPerDay: 48,
  clockSkewPerDay: 48,
  clockStuckPerDay: 48,
  topicMismatchPerDay: 48,
  offlinePerDevicePerDay: 2,
  offlineDuration: { min: '1m', max: '30m' },
  reconnectStormsPerDay: 24,
};

const seed = 21;
let app: ParcoursApp;
let world: World;
let summary: SimulationSummary;
let truth: GroundTruth;

/** The sum of a Prometheus counter over its labels. */
function counter(metrics: string, name: string): number {
  return [...metrics.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
}

const countOf = (outcome: string) => truth.faults.filter((f) => f.outcome === outcome).length;

beforeAll(async () => {
  const config = testConfig({
    mqtt: { allowAnonymous: true }, // lets the unknown-device faults reach the gateway
    gateway: { maxClockSkew: '5m', maxLateness: '7d' }, // the defaults, which testConfig relaxes
  });
  app = await startApp(config);
  world = { ...(await loadScenario('small')), faults: faultRatesSchema.parse(faults) };
  summary = await runFleet(app, { world, seed, from, to });
  truth = summary.groundTruth;
});

afterAll(async () => {
  await app?.stop();
});

describe('a small fleet with every fault, against a real Parcours', () => {
  it('injected every kind of fault', () => {
    expect(summary.failed).toBe(0);
    const kinds = new Set(truth.faults.map((f) => f.kind));
    expect([...kinds].sort()).toEqual([
      'bad_json',
      'clock_skew',
      'clock_stuck',
      'duplicate',
      'offline',
      'oversize',
      'reconnect_storm',
      'redelivery',
      'topic_mismatch',
      'unknown_device',
      'unknown_fields',
      'wrong_types',
    ]);
  });

  it('quarantined each fault with the reason code the ground truth gives', async () => {
    const expected: Record<string, number> = {};
    for (const { reason } of truth.faults) if (reason !== null) expected[reason] = (expected[reason] ?? 0) + 1;
    // A publish on another device's topic is QoS 0 (no ack to wait for): poll until the gateway has it.
    await expect
      .poll(async () => (await api<{ countsByReason: Record<string, number> }>(app.urls.http, 'GET', '/api/v1/quarantine?limit=1')).body.countsByReason, {
        timeout: 60_000,
      })
      .toEqual(expected);
  });

  it('stored every valid and replayed message once, counted each resend as a duplicate and corrected each wrong clock', async () => {
    expect(app.gateway.log.count({ channel: 'telemetry' })).toBe(truth.validMessages.telemetry);
    expect(app.gateway.log.count({ channel: 'events' })).toBe(truth.validMessages.events);
    const metrics = await scrapeMetrics(app.urls.http);
    expect(counter(metrics, 'parcours_messages_duplicate_total')).toBe(countOf('duplicate'));
    expect(counter(metrics, 'parcours_device_clock_corrected_total')).toBe(countOf('clock_corrected'));
  });

  it('dropped and reconnected devices as planned: offline periods, storms, redeliveries, and after each forbidden publish', async () => {
    const reconnects = generateTimeline(world, seed, from, to).connectivity.filter((c) => c.online).length;
    const kind = (k: string) => truth.faults.filter((f) => f.kind === k).length;
    const metrics = await scrapeMetrics(app.urls.http);
    expect(counter(metrics, 'parcours_mqtt_denied_publishes_total')).toBe(kind('topic_mismatch'));
    const first = world.devices.length + unknownDeviceIds(world).length;
    expect(counter(metrics, 'parcours_mqtt_connects_total')).toBe(first + reconnects + kind('redelivery') + kind('topic_mismatch'));
  });
});
