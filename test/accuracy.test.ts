import type { AccuracyReport } from '@parcours/analytics';
import type { Config } from '@parcours/contracts';
import type { SimulationSummary } from '@parcours/firmware-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { accuracyCli, figures, parseReport, type AccuracyRun } from './accuracy-cli.js';
import { api, eventSessionRules, startApp, testConfig } from './helpers.js';
import { runSmallFleet } from './simulated-run.js';

/**
 * The accuracy targets (session F1 ≥ 0.99, attribution 100% right where decided, transition count
 * error ≤ 1%), measured for real: the `small` fleet publishes simulated hours to a running Parcours,
 * then `parcours accuracy`, a separate process on the same data folder, compares the store with the
 * ground truth the simulator wrote.
 */
const hour = 3_600_000;

interface Measured {
  app: ParcoursApp;
  summary: SimulationSummary;
  run: AccuracyRun;
  report: AccuracyReport;
}

async function measure(config: Config, window: { from: number; to: number; seed: number; faults?: Record<string, unknown> }): Promise<Measured> {
  const app = await startApp(config);
  const summary = await runSmallFleet(app, window);
  const run = await accuracyCli(config.data.dir, ['--ground-truth', summary.groundTruthPath, '--json', '--check']);
  return { app, summary, run, report: parseReport(run) };
}

describe('parcours accuracy on the small scenario with its faults', () => {
  // A weekday morning (routines, commutes, sequences: transitions to count), with the scenario's own
  // faults (malformed JSON, wrong types, unknown devices). Fixed dates: testConfig relaxes the clock rules.
  const from = Date.UTC(2026, 2, 2, 5);
  const to = from + 6 * hour;
  let m: Measured;

  beforeAll(async () => {
    // Event sessions only, as in e2e.test.ts (threshold sessions are compared in threshold-sessions.test.ts).
    m = await measure(testConfig({ mqtt: { allowAnonymous: true }, analytics: { sessionRules: eventSessionRules } }), { from, to, seed: 11 });
  });
  afterAll(async () => {
    await m?.app.stop();
  });

  it('compared every session of the ground truth that closed in the window', () => {
    const truth = m.summary.groundTruth;
    expect(m.summary.failed).toBe(0);
    expect(truth.faults.length).toBeGreaterThan(0);
    expect(m.report.window).toEqual({ fromMs: from, toMs: to });
    expect(m.report.sessions.truth).toBe(truth.sessions.filter((s) => s.endMs < to).length);
    expect(m.report.sessions.truth).toBeGreaterThan(30);
    expect(m.report.attribution.sessions.decided.count).toBeGreaterThan(10);
    expect(m.report.transitions.knowable.truthTotal).toBeGreaterThan(10);
  });

  it('meets every accuracy target, and the command exits 0 with --check', () => {
    const r = m.report;
    expect(r.sessions.f1, figures(r)).toBeGreaterThanOrEqual(0.99);
    expect(r.attribution.sessions.decided, figures(r)).toMatchObject({ subjectShare: 1, individualShare: 1 });
    expect(r.attribution.sessions.inferred.subjectShare).toBe(1);
    expect(r.attribution.events.decided, figures(r)).toMatchObject({ subjectShare: 1, individualShare: 1 });
    expect(r.transitions.knowable.relativeError, figures(r)).toBeLessThanOrEqual(0.01);
    expect(m.run.code, m.run.stderr).toBe(0);
  });
});

describe("parcours accuracy on the README's run: built-in session rules, one day ending at any instant", () => {
  // As `npm start` then a one-day `parcours sim`: threshold sessions too, and a window that starts with
  // sessions running (the truth has them from their first sample) and holds a washer a person owns.
  const to = Date.UTC(2026, 2, 10, 17, 27, 38, 809);
  const from = to - 24 * hour;
  let m: Measured;

  beforeAll(async () => {
    m = await measure(testConfig({ mqtt: { allowAnonymous: true } }), { from, to, seed: 1 });
  });
  afterAll(async () => {
    await m?.app.stop();
  });

  it('meets every target, the sessions running at the start and those of devices people own included', () => {
    const r = m.report;
    expect(r.sessions.runningAtStart.compared).toBeGreaterThan(0);
    expect(
      [...m.summary.groundTruth.sessions, ...m.summary.groundTruth.runningAtStart].some(
        (s) => s.deviceType === 'washing_machine' && s.user !== null && s.user === s.subjectId,
      ),
    ).toBe(true);
    expect(r.sessions.unmatched, figures(r)).toEqual({ nearMisses: [], missed: [], spurious: [] });
    expect(
      r.targets.filter((t) => !t.met),
      figures(r),
    ).toEqual([]);
    expect(m.run.code, m.run.stderr).toBe(0);
  });
});

describe('parcours accuracy with every fault kind', () => {
  // Every fault the simulator has, with the gateway's default clock rules: the window must then end
  // before now, as in sim-faults.test.ts, for the receive time to judge the clocks. It moves with the date.
  const to = Math.floor(Date.now() / hour) * hour - hour;
  const from = to - 4 * hour;
  const faults = {
    malformedJsonPerDay: 24,
    wrongTypesPerDay: 24,
    unknownFieldsPerDay: 24,
    oversizePerDay: 24,
    unknownDevicePerDay: 24,
    duplicatePerDay: 24,
    redeliveryPerDay: 24,
    clockSkewPerDay: 24,
    clockStuckPerDay: 24,
    topicMismatchPerDay: 24,
    offlinePerDevicePerDay: 2,
    offlineDuration: { min: '1m', max: '30m' },
    reconnectStormsPerDay: 12,
  };
  let m: Measured;

  beforeAll(async () => {
    const config = testConfig({
      mqtt: { allowAnonymous: true },
      gateway: { maxClockSkew: '5m', maxLateness: '7d' },
      analytics: { sessionRules: eventSessionRules },
    });
    m = await measure(config, { from, to, seed: 7, faults });
  });
  afterAll(async () => {
    await m?.app.stop();
  });

  it('attributes every session and event to the right subject, and the right individual where decided', () => {
    const r = m.report;
    expect(r.attribution.sessions.decided, figures(r)).toMatchObject({ subjectShare: 1, individualShare: 1 });
    expect(r.attribution.events.decided.subjectShare, figures(r)).toBe(1);
    // Not the events' individual: the simulator pushes a session queued behind another one back, which can
    // carry a renter's session past the end of the rental; the gateway then rightly rejects the actor on its
    // last events (not a member any more: docs/design.md, "Attribution"), while the truth still names the renter.
  });

  // Clock faults used to cut sessions short: a corrected clock carries the receive time, hours ahead in a
  // fast replay, and it moved the session job's watermark. Only trusted clocks move it now (session-job.ts).
  it('meets the session and transition targets with every fault kind', () => {
    const r = m.report;
    expect(r.sessions.f1, figures(r)).toBeGreaterThanOrEqual(0.99);
    expect(r.targets.find((t) => t.name.startsWith('transition'))!.met, figures(r)).toBe(true);
    expect(m.run.code === 0, `${figures(m.report)} ${m.run.stderr}`).toBe(m.report.targets.every((t) => t.met));
  });
});

describe('parcours accuracy after a registry correction', () => {
  // The CRM recorded Alice's employment at Acme late. Stored results are first made what such a registry
  // makes them (her membership moved after the window, the window re-attributed: her actor is refused on
  // the office's machines), then the registry is corrected and the window re-attributed again.
  const from = Date.UTC(2026, 2, 3, 5);
  const to = from + 6 * hour;
  const iso = (ms: number) => new Date(ms).toISOString();
  let m: Measured;
  let wrong: AccuracyReport;
  let corrected: AccuracyReport;

  async function accuracyNow(): Promise<AccuracyReport> {
    return parseReport(await accuracyCli(m.app.config.data.dir, ['--ground-truth', m.summary.groundTruthPath, '--json']));
  }

  beforeAll(async () => {
    m = await measure(testConfig({ mqtt: { allowAnonymous: true }, analytics: { sessionRules: eventSessionRules } }), { from, to, seed: 5 });
    const base = m.app.urls.http;
    const found = await api<{ items: { id: string; validFrom: string }[] }>(base, 'GET', '/api/v1/memberships?individualId=ind-alice&collectiveId=wp-acme');
    const [membership] = found.body.items;
    const moveTo = async (validFrom: string) => {
      expect((await api(base, 'PATCH', `/api/v1/memberships/${membership!.id}`, { validFrom })).status).toBe(200);
      await m.app.reattribute(from - 24 * hour, to + 24 * hour);
    };
    await moveTo(iso(to + 24 * hour));
    wrong = await accuracyNow();
    await moveTo(membership!.validFrom);
    corrected = await accuracyNow();
  });
  afterAll(async () => {
    await m?.app.stop();
  });

  it('misses the individual of sessions while the registry is wrong', () => {
    expect(wrong.attribution.sessions.decided.individualShare, figures(wrong)).toBeLessThan(1);
  });

  it('meets every target again once the registry is corrected and the window re-attributed', () => {
    expect(
      corrected.targets.filter((t) => !t.met),
      figures(corrected),
    ).toEqual([]);
    expect(corrected.sessions.f1).toBe(m.report.sessions.f1);
  });
});
