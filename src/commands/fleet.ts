import { clockRulesOf, type Config } from '@parcours/contracts';
import { Simulator, unknownDeviceIds, type World } from '@parcours/firmware-sim';
import type { Logger } from 'pino';
import type { AppUrls } from '../app.js';

/** Every client id the fleet connects with: its devices, and the unknown ones its faults invent. */
export function fleetDeviceIds(world: World): Set<string> {
  return new Set([...world.devices.map((d) => d.id), ...unknownDeviceIds(world)]);
}

/** The built-in fleet of `parcours start`: the configured scenario against this process's own broker and API. */
export async function startFleet(config: Readonly<Config>, world: World, urls: AppUrls, apiKey: string, logger: Logger): Promise<Simulator> {
  const simulator = new Simulator({
    scenario: world,
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
    // This process's broker has just started: a device still marked online is the previous run's, whose
    // will is yet to be published.
    refuseRunningWorld: false,
  });
  await simulator.start();
  return simulator;
}
