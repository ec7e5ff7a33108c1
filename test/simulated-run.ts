import { clockRulesOf } from '@parcours/contracts';
import { faultRatesSchema, loadScenario, Simulator, type World, type SimulationSummary } from '@parcours/firmware-sim';
import { pino } from 'pino';
import type { ParcoursApp } from '../src/app.js';
import { adminKey } from './helpers.js';

/**
 * Starts a world's devices against a running Parcours, replaying `[from, to)` at full speed on QoS 1, a chunk at a
 * time if given, awaiting `afterChunk` after each; `done` resolves with its summary.
 */
export async function startFleet(
  app: ParcoursApp,
  run: { world: World; from: number; to: number; seed: number; chunkMs?: number; afterChunk?: (reached: number) => Promise<void> },
): Promise<Simulator> {
  const simulator = new Simulator({
    scenario: run.world,
    seed: run.seed,
    from: run.from,
    to: run.to,
    speed: 'max',
    ...(run.chunkMs === undefined ? {} : { chunkMs: run.chunkMs }),
    ...(run.afterChunk === undefined ? {} : { afterChunk: run.afterChunk }),
    mqttUrl: app.urls.mqtt,
    apiUrl: app.urls.http,
    apiKey: adminKey(),
    baseTopic: app.config.mqtt.baseTopic,
    dataDir: app.config.data.dir,
    qos: 1,
    logger: pino({ level: 'error' }),
    clockRules: clockRulesOf(app.config),
    unknownDeviceAuth: null,
  });
  await simulator.start();
  return simulator;
}

/** Runs a world through a running Parcours at full speed over `[from, to)`, devices on QoS 1, then disconnects them; resolves with its summary. */
export async function runFleet(app: ParcoursApp, run: { world: World; from: number; to: number; seed: number }): Promise<SimulationSummary> {
  const simulator = await startFleet(app, run);
  const summary = await simulator.done;
  await simulator.stop();
  return summary;
}

/**
 * Runs the `small` world through a running Parcours at full speed over `[from, to)` — with these fault
 * rates in place of the scenario's own, if given — then waits until Parcours has handled all of it.
 */
export async function runSmallFleet(
  app: ParcoursApp,
  window: { from: number; to: number; seed: number; faults?: Record<string, unknown> | undefined },
): Promise<SimulationSummary> {
  const small = await loadScenario('small');
  const world = window.faults ? { ...small, faults: faultRatesSchema.parse(window.faults) } : small;
  const summary = await runFleet(app, { world, ...window });
  await app.drained();
  return summary;
}
