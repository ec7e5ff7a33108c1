import { clockRulesOf } from '@parcours/contracts';
import { city, parseScenario, Simulator, type SimulationSummary, type World } from '@parcours/firmware-sim';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, startApp, testConfig } from './helpers.js';

/**
 * The `city` scenario at full size (about 5,000 devices) against a real Parcours: registration through
 * the API, one MQTT connection per device, a few simulated minutes of a weekday morning. Timings are
 * logged so a slowdown shows in the test output before it becomes a timeout.
 */
const from = Date.UTC(2026, 2, 3, 7); // a Tuesday, 07:00
const to = from + 5 * 60_000;

let app: ParcoursApp;
let world: World;
let summary: SimulationSummary;
const timings: Record<string, number> = {};

beforeAll(async () => {
  const config = testConfig({ log: { level: 'error' } });
  app = await startApp(config);
  world = parseScenario(city());
  const logger = pino({ level: process.env.CITY_LOG ?? 'error' });
  const simulator = new Simulator({
    scenario: world,
    seed: 17,
    from,
    to,
    speed: 'max',
    mqttUrl: app.urls.mqtt,
    apiUrl: app.urls.http,
    apiKey: adminKey(),
    baseTopic: config.mqtt.baseTopic,
    dataDir: config.data.dir,
    qos: 1,
    logger,
    clockRules: clockRulesOf(config),
    unknownDeviceAuth: null,
    maxInFlightPerDevice: 4,
  });
  let started = performance.now();
  await simulator.start();
  timings.registerAndConnectMs = performance.now() - started;
  started = performance.now();
  summary = await simulator.done;
  timings.publishMs = performance.now() - started;
  await simulator.stop();
  started = performance.now();
  await app.drained();
  timings.drainMs = performance.now() - started;
  console.log(`city: ${world.devices.length} devices, ${world.individuals.length + world.collectives.length} subjects`, timings, summary.published);
});

afterAll(async () => {
  await app?.stop();
});

describe('the city scenario against a real Parcours', () => {
  it('connected every device and lost no publish', () => {
    expect(world.devices.length).toBeGreaterThanOrEqual(4900);
    expect(summary.failed).toBe(0);
    expect(Object.keys(summary.groundTruth.validMessages.perDevice).length).toBe(world.devices.length);
  });

  it("stored exactly the ground truth's messages", () => {
    const truth = summary.groundTruth.validMessages;
    expect(app.gateway.log.count({ channel: 'telemetry' })).toBe(truth.telemetry);
    expect(app.gateway.log.count({ channel: 'events' })).toBe(truth.events);
    expect(truth.telemetry).toBeGreaterThan(15_000);
  });
});
