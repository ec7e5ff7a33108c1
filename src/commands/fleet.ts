import { clockRulesOf, type Config } from '@parcours/contracts';
import { loadScenario, Simulator } from '@parcours/firmware-sim';
import type { Logger } from 'pino';
import type { AppUrls } from '../app.js';

/** The built-in fleet of `parcours start`: the configured scenario against this process's own broker and API. */
export async function startFleet(config: Readonly<Config>, urls: AppUrls, apiKey: string, logger: Logger): Promise<Simulator> {
  const simulator = new Simulator({
    scenario: await loadScenario(config.sim.scenario),
    seed: config.sim.seed,
    speed: config.sim.speed,
    backfillMs: config.sim.backfill,
    mqttUrl: urls.mqtt,
    apiUrl: urls.http,
    apiKey,
    baseTopic: config.mqtt.baseTopic,
    dataDir: config.data.dir,
    qos: 1,
    logger: logger.child({ part: 'sim' }),
    clockRules: clockRulesOf(config),
    unknownDeviceAuth: null,
  });
  await simulator.start();
  return simulator;
}
