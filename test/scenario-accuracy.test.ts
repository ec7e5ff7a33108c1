import type { AccuracyReport } from '@parcours/analytics';
import { loadScenario, type SimulationSummary, type World } from '@parcours/firmware-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { accuracyCli, figures, parseReport, type AccuracyRun } from './accuracy-cli.js';
import { startApp, testConfig } from './helpers.js';
import { runFleet } from './simulated-run.js';

/**
 * The accuracy targets on the built-in scenarios of other shapes than `small`, each a simulated day
 * through a real Parcours with the built-in session rules, judged by `parcours accuracy --check`: a care
 * home whose shared devices never name their user, a co-working space of day-pass visitors, a family
 * whose plugs send telemetry only. Sessions from telemetry are matched within one sampling interval
 * (`--tolerance`, docs/cli.md): a threshold sees a use at the samples only.
 */
const hour = 3_600_000;
// From Wednesday 20:00 (a day takes in the co-working's Thursday meetup): the window starts with evening sessions running.
const from = Date.UTC(2026, 2, 4, 20);

/** The longest sampling interval among the devices that send telemetry only: 0 when every device sends events. */
function toleranceOf(world: World): number {
  return Math.max(0, ...world.devices.filter((d) => !d.reportsEvents).map((d) => d.telemetry.intervalS * 1000));
}

describe.each([
  { scenario: 'care-home', seed: 3, days: 1 },
  { scenario: 'coworking', seed: 4, days: 1 },
  // A household uses its appliances a score of times a day: two days, to have more of them to compare.
  { scenario: 'metered-home', seed: 5, days: 2 },
])('parcours accuracy on the $scenario scenario, $days simulated day(s)', ({ scenario, seed, days }) => {
  const to = from + days * 24 * hour;
  let app: ParcoursApp;
  let world: World;
  let summary: SimulationSummary;
  let run: AccuracyRun;
  let report: AccuracyReport;

  beforeAll(async () => {
    app = await startApp(testConfig({ mqtt: { allowAnonymous: true } }));
    world = await loadScenario(scenario);
    summary = await runFleet(app, { world, from, to, seed });
    await app.drained();
    const tolerance = `${toleranceOf(world)}ms`;
    run = await accuracyCli(app.config.data.dir, ['--ground-truth', summary.groundTruthPath, '--tolerance', tolerance, '--json', '--check']);
    report = parseReport(run);
    const { sessions, inferred, inferredShare, precision, calibrationError } = report.inference;
    console.log(
      `${scenario} inference: ${inferred} of ${sessions} sessions (${(100 * inferredShare).toFixed(1)}%), right ${precision}, calibration error ${calibrationError}`,
    );
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('published the whole day and compared its sessions', () => {
    expect(summary.failed).toBe(0);
    expect(report.window).toEqual({ fromMs: from, toMs: to });
    expect(report.sessions.truth).toBeGreaterThanOrEqual(25);
    expect(report.sessions.toleranceMs).toBe(toleranceOf(world));
  });

  it('meets every target, and the command exits 0 with --check', () => {
    expect(report.sessions.unmatched, figures(report)).toEqual({ nearMisses: [], missed: [], spurious: [] });
    expect(report.sessions.f1, figures(report)).toBeGreaterThanOrEqual(0.99);
    expect(report.attribution.sessions.decided, figures(report)).toMatchObject({ subjectShare: 1, individualShare: 1 });
    expect(report.attribution.events.decided, figures(report)).toMatchObject({ subjectShare: 1, individualShare: 1 });
    expect(report.transitions.knowable.relativeError, figures(report)).toBeLessThanOrEqual(0.01);
    expect(
      report.targets.filter((t) => !t.met),
      figures(report),
    ).toEqual([]);
    expect(run.code, run.stderr).toBe(0);
  });
});
