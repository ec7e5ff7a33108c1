import { faultRatesSchema, loadScenario, type SimulationSummary } from '@parcours/firmware-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { scrapeMetrics, startApp, testConfig } from './helpers.js';
import { runFleet } from './simulated-run.js';

/**
 * A back-fill of two days with clocks running a day ahead, against the gateway's default device-time rules:
 * a wrong clock of the first day is still in the past when the message arrives, so the gateway stores it as
 * stamped; one of the last day is ahead of the receipt and corrected. The ground truth must say which.
 */
const hour = 3_600_000;
const to = Math.floor(Date.now() / hour) * hour - hour;
const from = to - 48 * hour;
let app: ParcoursApp;
let summary: SimulationSummary;

beforeAll(async () => {
  app = await startApp(testConfig({ gateway: { maxClockSkew: '5m', maxLateness: '7d' } }));
  const small = await loadScenario('small');
  const world = { ...small, faults: faultRatesSchema.parse({ clockSkewPerDay: 48, clockSkewAhead: '1d' }) };
  summary = await runFleet(app, { world, seed: 5, from, to });
  await app.drained();
});

afterAll(async () => {
  await app?.stop();
});

describe('clock faults in a back-fill', () => {
  it('are labelled by what the gateway does given when they are received, and the gateway does it', async () => {
    const outcomes = summary.groundTruth.faults.filter((f) => f.kind === 'clock_skew').map((f) => f.outcome);
    const corrected = outcomes.filter((o) => o === 'clock_corrected').length;
    expect(corrected).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o === 'stored_as_stamped').length).toBeGreaterThan(0);
    expect(corrected + outcomes.filter((o) => o === 'stored_as_stamped').length).toBe(outcomes.length);
    const metrics = await scrapeMetrics(app.urls.http);
    expect(Number(/^parcours_device_clock_corrected_total (\d+)$/m.exec(metrics)?.[1])).toBe(corrected);
    expect(app.gateway.log.count({ channel: 'telemetry' })).toBe(summary.groundTruth.validMessages.telemetry);
  });
});
