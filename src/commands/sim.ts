import { join } from 'node:path';
import { Option } from 'commander';
import { clockRulesOf } from '@parcours/contracts';
import { loadScenario, Simulator, type SimulationProgress, type SimulationSummary, type UsagePublishProgress } from '@parcours/firmware-sim';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import { localUrls } from './local-urls.js';
import { durationOption, instantOption, wholeNumberOption } from './option-values.js';
import { bar, startProgress } from './progress.js';
import { onShutdown } from './shutdown.js';
import { runLoadCommand } from './sim-load.js';
import { pushUniverse, writeUniverse } from './sim-universe.js';
import { checkUsageLateness, describeUsage, publishBaseUsage, renderUsageProgress, usageSpan, writeUsage } from './sim-usage.js';
import { UsageError } from './usage-error.js';

interface SimCommandOptions {
  config?: string;
  scenario?: string;
  seed?: string;
  speed?: string;
  from?: string;
  to?: string;
  duration?: string;
  broker?: string;
  mqttUrl?: string;
  api?: string;
  apiUrl?: string;
  apiKey?: string;
  qos: string;
  load?: boolean;
  devices: string;
  devicePrefix: string;
  rate: string;
  processes: string;
  window: string;
  anonymous?: boolean;
  progressEvery: string;
  json?: boolean;
  universe?: string;
  universeOut?: string;
  usage?: string;
}

export function simOptions(): Option[] {
  return [
    new Option('-c, --config <file>', 'configuration file (JSON or YAML) for the sim defaults'),
    new Option('--scenario <name|file>', 'built-in scenario name or scenario file (default: PARCOURS_SIM_SCENARIO)'),
    new Option('--seed <n>', 'seed: the same seed gives the same fleet and usage (default: PARCOURS_SIM_SEED)'),
    new Option('--speed <factor|max>', 'simulated seconds per real second, or "max" (default: PARCOURS_SIM_SPEED)'),
    new Option('--from <iso>', 'simulated start time (default: resume, or now minus PARCOURS_SIM_BACKFILL)'),
    new Option('--to <iso>', 'simulated end time; without it the clock catches up with now and runs on'),
    new Option(
      '--duration <d>',
      'scenario: simulated time to run from the start, e.g. 7d (without --from: the last D until now); load: publishing time (default 10s)',
    ),
    new Option('--broker <url>', "broker the devices connect to (default: the configuration's, mqtt://localhost:1883)"),
    new Option('--mqtt-url <url>', 'older name of --broker').hideHelp(),
    new Option('--api <url>', "Parcours HTTP API where the devices are registered (default: the configuration's, http://localhost:8080)"),
    new Option('--api-url <url>', 'older name of --api').hideHelp(),
    new Option('--api-key <key>', 'admin API key of that Parcours (default: PARCOURS_SIM_API_KEY)'),
    new Option('--qos <0|1|2>', 'QoS of telemetry messages (2: load mode only)').choices(['0', '1', '2']).default('1'),
    new Option('--load', 'load mode: devices publishing telemetry at a fixed rate, reporting rate, acks and publish→ack latency'),
    new Option('--devices <n>', 'load: number of devices').default('100'),
    new Option('--device-prefix <prefix>', 'load: device ids are this prefix and a number').default('load-'),
    new Option('--rate <msg/s>', 'load: messages per second per device; 0 publishes as fast as the window allows').default('1'),
    new Option('--processes <n>', 'load: worker processes the devices are spread over').default('1'),
    new Option('--window <n>', 'load: most unacknowledged messages per device').default('16'),
    new Option('--anonymous', 'load: connect without credentials instead of registering the devices through --api'),
    new Option('--progress-every <d>', 'interval of the progress lines when stderr is not a terminal').default('5s'),
    new Option('--json', 'load: print the report as JSON'),
    new Option(
      '--universe <n>',
      "a customer base of N customers written as import files with its ground truth; with --api-key also pushed, the scenario's persons among them",
    ),
    new Option('--universe-out <dir>', 'folder of the customer base files (default: <data.dir>/sim/universe)'),
    new Option(
      '--usage <weeks>',
      "with --universe: the base's usage of a coffee machine and a water heater over the last W whole weeks (Monday to Monday, UTC, before the simulated end), its truth written beside the ground truth; with --api-key also published, every customer's devices registered",
    ),
  ];
}

const instant = (text: string | undefined, flag: string) => (text === undefined ? undefined : instantOption(text, flag));
const duration = (text: string | undefined, flag: string) => (text === undefined ? undefined : durationOption(text, flag));
const positiveInt = (text: string, flag: string) => wholeNumberOption(text, flag, 1);

/** --from, --to and --duration: any two decide the third; --duration alone runs the last D until now. */
function simulatedRange(options: SimCommandOptions): { from?: number; to?: number } {
  let from = instant(options.from, '--from');
  let to = instant(options.to, '--to');
  const length = duration(options.duration, '--duration');
  if (length === undefined) return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
  if (from !== undefined && to !== undefined) throw new UsageError('--duration: give at most two of --from, --to and --duration');
  if (from === undefined) from = (to ?? Date.now()) - length;
  to = from + length;
  return { from, to };
}

export async function runSimCommand(options: SimCommandOptions): Promise<void> {
  const config = loadConfig({ file: options.config });
  const logger = createLogger(config.log);
  const local = localUrls(config);
  const broker = options.broker ?? options.mqttUrl ?? local.broker;
  const apiUrl = options.api ?? options.apiUrl ?? local.api;
  const apiKey = options.apiKey ?? config.sim.apiKey;
  const progressEveryMs = durationOption(options.progressEvery, '--progress-every');
  if (options.load) {
    if (options.universe !== undefined) throw new UsageError('--universe is for scenario mode, not --load');
    if (!options.anonymous && !apiKey) throw new UsageError('--load needs --api-key (or PARCOURS_SIM_API_KEY) to register its devices, or --anonymous');
    const rate = Number(options.rate);
    if (!(rate >= 0)) throw new UsageError(`--rate ${options.rate}: not a number ≥ 0`);
    await runLoadCommand({
      plan: {
        url: broker,
        baseTopic: config.mqtt.baseTopic,
        devices: { prefix: options.devicePrefix, count: positiveInt(options.devices, '--devices') },
        credentials: options.anonymous ? 'anonymous' : { apiUrl, apiKey: apiKey! },
        rate: { perDevice: rate },
        qos: Number(options.qos) as 0 | 1 | 2,
        window: positiveInt(options.window, '--window'),
        duration: duration(options.duration, '--duration') ?? 10_000,
        processes: positiveInt(options.processes, '--processes'),
      },
      progressEveryMs,
      json: options.json === true,
      logger,
    });
    return;
  }
  if (options.qos === '2') throw new UsageError('--qos 2 is for --load only: scenario devices publish at QoS 0 or 1');
  const seed = options.seed === undefined ? config.sim.seed : Number(options.seed);
  const { from, to } = simulatedRange(options);
  if (options.usage !== undefined && options.universe === undefined) throw new UsageError("--usage needs --universe: it is the customer base's usage");
  const span = options.usage === undefined ? null : usageSpan(positiveInt(options.usage, '--usage'), to ?? Date.now());
  // Checked before anything is registered: the gateway would quarantine events older than its lateness.
  if (span && apiKey) checkUsageLateness(span, Date.now(), config.gateway.maxLateness);
  const universe =
    options.universe === undefined
      ? null
      : {
          size: positiveInt(options.universe, '--universe'),
          seed,
          // The day the simulated time starts: the same seed and --from give the same files.
          startsAt: Math.floor((from ?? Date.now()) / 86_400_000) * 86_400_000,
          dir: options.universeOut ?? join(config.data.dir, 'sim', 'universe'),
        };
  // Without an API key, the customer base's files are the whole of the work: no world is run.
  if (universe && !apiKey) {
    const base = await writeUniverse({ ...universe, worldIndividuals: [] });
    if (span) process.stdout.write(describeUsage(await writeUsage(base, span, universe.dir), config.analytics.funnels));
    return;
  }
  const speed = options.speed === undefined ? config.sim.speed : options.speed === 'max' ? 'max' : Number(options.speed);
  if (speed !== 'max' && !(speed > 0)) throw new UsageError(`--speed ${options.speed}: neither a positive number nor "max"`);
  if (!apiKey)
    throw new UsageError(
      '--api-key (or PARCOURS_SIM_API_KEY) is required: the fleet is registered through the API (an admin key: `parcours start` prints one at its first start)',
    );
  const scenario = await loadScenario(options.scenario ?? config.sim.scenario);
  const simulator = new Simulator({
    scenario,
    seed,
    speed,
    backfillMs: config.sim.backfill,
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    mqttUrl: broker,
    apiUrl,
    apiKey,
    baseTopic: config.mqtt.baseTopic,
    dataDir: config.data.dir,
    qos: options.qos === '0' ? 0 : 1,
    logger,
    clockRules: clockRulesOf(config),
    unknownDeviceAuth: null,
  });
  // While the base's usage is published, its progress is shown instead of the world's.
  let usageProgress: Readonly<UsagePublishProgress> | null = null;
  const progress = startProgress({
    stream: process.stderr,
    everyMs: progressEveryMs,
    render: () => (usageProgress ? renderUsageProgress(usageProgress) : renderProgress(simulator.progress())),
  });
  onShutdown(logger, async () => {
    progress.stop();
    await simulator.stop();
  });
  try {
    await simulator.start();
  } catch (error) {
    progress.stop();
    throw error;
  }
  // Once the world is registered: its persons are customers too, and identities name only existing individuals.
  if (universe) {
    try {
      const base = await writeUniverse({ ...universe, worldIndividuals: scenario.individuals.filter((p) => p.type === 'person').map((p) => p.id) });
      await pushUniverse(universe.dir, { apiUrl, apiKey, logger });
      if (span) {
        const written = await writeUsage(base, span, universe.dir);
        const published = await publishBaseUsage(base, written, {
          apiUrl,
          apiKey,
          mqttUrl: broker,
          baseTopic: config.mqtt.baseTopic,
          logger,
          onProgress: (p) => (usageProgress = p),
        });
        usageProgress = null;
        process.stdout.write(describeUsage(written, config.analytics.funnels, published));
      }
    } catch (error) {
      progress.stop();
      await simulator.stop();
      throw error;
    }
  }
  // Without an end the fleet runs on until SIGINT/SIGTERM.
  if (to === undefined) return;
  const summary = await simulator.done.finally(() => progress.stop());
  await simulator.stop();
  report(summary);
}

function renderProgress(p: SimulationProgress | null): string | null {
  if (!p) return null;
  const head = p.toMs === null || p.toMs <= p.fromMs ? '' : `${bar((p.simulatedMs - p.fromMs) / (p.toMs - p.fromMs))} `;
  return `${head}${new Date(p.simulatedMs).toISOString().slice(0, 16).replace('T', ' ')}: sent ${p.sent}, acked ${p.acked}, faults ${p.faults}, failed ${p.failed}`;
}

/** The summary of a finished run; messages left unacknowledged make the command fail. */
function report(summary: SimulationSummary): void {
  const { telemetry, events, faults } = summary.published;
  process.stdout.write(
    `acked ${telemetry + events + faults} (telemetry ${telemetry}, events ${events}, faults ${faults}), failed ${summary.failed}\nground truth: ${summary.groundTruthPath}\n`,
  );
  if (summary.failed > 0) {
    process.stderr.write(`simulation failed: ${summary.failed} messages were never acknowledged\n`);
    process.exitCode = 1;
  }
}
