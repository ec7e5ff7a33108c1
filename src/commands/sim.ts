import { Option } from 'commander';
import { loadScenario, Simulator } from '@parcours/firmware-sim';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import { onShutdown } from './shutdown.js';

interface SimCommandOptions {
  config?: string;
  scenario?: string;
  seed?: string;
  speed?: string;
  from?: string;
  to?: string;
  mqttUrl: string;
  apiUrl: string;
  apiKey?: string;
  qos: string;
}

export function simOptions(): Option[] {
  return [
    new Option('-c, --config <file>', 'configuration file (JSON or YAML) for the sim defaults'),
    new Option('--scenario <name|file>', 'built-in scenario name or scenario file (default: PARCOURS_SIM_SCENARIO)'),
    new Option('--seed <n>', 'seed: the same seed gives the same fleet and usage (default: PARCOURS_SIM_SEED)'),
    new Option('--speed <factor|max>', 'simulated seconds per real second, or "max" (default: PARCOURS_SIM_SPEED)'),
    new Option('--from <iso>', 'simulated start time (default: resume, or now minus PARCOURS_SIM_BACKFILL)'),
    new Option('--to <iso>', 'simulated end time; without it the clock catches up with now and runs on'),
    new Option('--mqtt-url <url>', 'broker the devices connect to').default('mqtt://localhost:1883'),
    new Option('--api-url <url>', 'Parcours HTTP API where the fleet is registered').default('http://localhost:8080'),
    new Option('--api-key <key>', 'admin API key of that Parcours (default: PARCOURS_SIM_API_KEY)'),
    new Option('--qos <0|1>', 'QoS of telemetry messages').choices(['0', '1']).default('1'),
  ];
}

function instant(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`${flag}: "${text}" is not an ISO 8601 date-time`);
  return ms;
}

export async function runSimCommand(options: SimCommandOptions): Promise<void> {
  const config = loadConfig({ file: options.config });
  const logger = createLogger(config.log);
  const speed = options.speed === undefined ? config.sim.speed : options.speed === 'max' ? 'max' : Number(options.speed);
  if (speed !== 'max' && !(speed > 0)) throw new Error(`--speed: "${options.speed}" is neither a positive number nor "max"`);
  const apiKey = options.apiKey ?? config.sim.apiKey;
  if (!apiKey) throw new Error('--api-key (or PARCOURS_SIM_API_KEY) is required: the fleet is registered through the API');
  const from = instant(options.from, '--from');
  const to = instant(options.to, '--to');
  const simulator = new Simulator({
    scenario: await loadScenario(options.scenario ?? config.sim.scenario),
    seed: options.seed === undefined ? config.sim.seed : Number(options.seed),
    speed,
    backfillMs: config.sim.backfill,
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    mqttUrl: options.mqttUrl,
    apiUrl: options.apiUrl,
    apiKey,
    baseTopic: config.mqtt.baseTopic,
    dataDir: config.data.dir,
    qos: options.qos === '0' ? 0 : 1,
    logger,
    unknownDeviceAuth: null,
  });
  onShutdown(logger, () => simulator.stop());
  await simulator.start();
  if (to !== undefined) {
    const summary = await simulator.done;
    logger.info({ published: summary.published }, 'simulation finished');
    await simulator.stop();
  }
}
