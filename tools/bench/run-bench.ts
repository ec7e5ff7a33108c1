import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad } from '@parcours/firmware-sim';
import { startInfluxDB } from '../services/influxdb.js';
import { rederiveCity } from './rederive-bench.js';
import { startBareAedes, startMosquittoTarget, startParcours, type Target } from './targets.js';
import { panelDrawTimes } from './panel-draw-bench.js';
import { rakingTimes } from './raking-bench.js';
import { surveyPromptTimes } from './survey-prompt-bench.js';
import { traitImportRate } from './trait-import-bench.js';
import { weightedFunnelTimes } from './weighted-funnel-bench.js';

/**
 * `npm run bench`: QoS 1 ingest (publish → PUBACK after the durable store) of Parcours against bare aedes
 * and Mosquitto measured in the same run, publish→ack latency at half of saturation, and how fast the
 * InfluxDB sink catches up, the trait import rate of customer profiles and the time to draw a panel. Load comes
 * from the simulator's load mode (`parcours sim --load`), in separate processes. Prints a table, writes bench/results.json.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const devices = 20;
const processes = 2;
const durationMs = 8_000;
const window = 16;
const scaleDevices = 10_000;

interface Result {
  name: string;
  value: number;
  unit: string;
  baseline?: string;
  ratio?: number;
}

/** Runs the load from `processes` processes; rate 0 is saturation. Returns msg/s and latency percentiles. */
async function load(target: Target, rate: number): Promise<{ rate: number; p50: number; p99: number; acked: number }> {
  const report = await runLoad({
    url: target.url,
    devices: target.devices,
    credentials: 'listed',
    rate: { total: rate },
    qos: 1,
    window,
    duration: durationMs,
    processes,
  });
  return { rate: report.rate, p50: report.latencyMs?.p50 ?? Number.NaN, p99: report.latencyMs?.p99 ?? Number.NaN, acked: report.acked };
}

async function measure(target: Target): Promise<{ saturation: number; p50: number; p99: number; acked: number }> {
  const saturation = await load(target, 0);
  const half = await load(target, saturation.rate / 2);
  return { saturation: saturation.rate, p50: half.p50, p99: half.p99, acked: saturation.acked + half.acked };
}

/** Resident memory of a process, from /proc (Linux). */
async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/**
 * Connection scale: every device of the target connects (from `processes` processes, 100 CONNECTs
 * pending in each) and publishes nothing; returns the connect rate and the broker's resident memory per
 * connected device, read while they are all connected.
 */
async function connectionScale(target: Target): Promise<{ rate: number; bytesPerDevice: number; connected: number }> {
  const before = await rssBytes(target.pid!);
  let after = before;
  const report = await runLoad(
    { url: target.url, devices: target.devices, credentials: 'listed', rate: { total: 0 }, duration: 0, processes, connectConcurrency: 100 },
    {
      onConnected: async () => {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        after = await rssBytes(target.pid!);
      },
    },
  );
  return { rate: report.connectRate, bytesPerDevice: (after - before) / report.connected, connected: report.connected };
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The baseline: the re-derivation's own read (rederiveReadOptions), so the ratio is what deriving costs. */
const readName = "lean read of a city run's log by device time (threshold metrics, no attrs)";

/** The batch re-derivation of a city run's log, against reading that log alone. */
async function rederivation(): Promise<Result[]> {
  process.stderr.write("re-derivation: a city run's log\n");
  const r = await rederiveCity();
  process.stderr.write(`re-derivation: ${r.events} events → ${r.sessions} sessions, ${r.journeys} journeys\n`);
  return [
    { name: readName, value: round(r.readRate), unit: 'ev/s' },
    { name: 'full re-derivation of a city run', value: round(r.rederiveRate), unit: 'ev/s', baseline: readName, ratio: round(r.rederiveRate / r.readRate, 2) },
  ];
}

function print(results: readonly Result[]): void {
  const width = Math.max(...results.map((r) => r.name.length));
  process.stdout.write(`${'figure'.padEnd(width)}  ${'value'.padStart(10)}  unit    ratio  baseline\n`);
  for (const r of results) {
    process.stdout.write(
      `${r.name.padEnd(width)}  ${String(r.value).padStart(10)}  ${r.unit.padEnd(6)}  ${r.ratio === undefined ? '     ' : String(r.ratio).padStart(5)}  ${r.baseline ?? ''}\n`,
    );
  }
}

/** The trait import of a generated 300,000-row CRM file into a fresh store: a figure, not a limit. */
/** Weighting a panel of 10,000 over 24 levels: raking, and calibration (raking and linear distances). Figures, not limits. */
function raking(): Result[] {
  process.stderr.write('weighting: a panel of 10,000 over 24 levels\n');
  const t = rakingTimes();
  const of = `${(10_000).toLocaleString('en')} people over 24 levels`;
  const f = weightedFunnelTimes();
  const unweighted = `funnel of a month of ${f.members.toLocaleString('en')} members (${f.occurrences.toLocaleString('en')} occurrences), unweighted`;
  return [
    { name: `raking ${of}`, value: round(t.rake, 1), unit: 'ms' },
    { name: `calibration (raking distance) ${of}`, value: round(t.calibrateRaking, 1), unit: 'ms' },
    { name: `calibration (linear distance) ${of}`, value: round(t.calibrateLinear, 1), unit: 'ms' },
    { name: unweighted, value: round(f.unweighted, 1), unit: 'ms' },
    {
      name: '… weighted, every figure with its standard error',
      value: round(f.weighted, 1),
      unit: 'ms',
      baseline: unweighted,
      ratio: round(f.weighted / f.unweighted, 2),
    },
  ];
}

function traitImport(): Result[] {
  process.stderr.write('trait import: a generated CRM file\n');
  const { rows, rate } = traitImportRate();
  return [{ name: `trait import, ${rows.toLocaleString('en')}-row CRM file`, value: round(rate), unit: 'rows/s' }];
}

/**
 * Drawing a panel of 10,000 from 300,000 customers: the dry run, the stratified draw written (each stage
 * against the whole draw), and the balanced draw against the stratified one. Figures, not limits.
 */
function panelDraw(): Result[] {
  process.stderr.write('panel draw: a 300,000-customer base into a fresh store\n');
  const f = panelDrawTimes();
  const of = `${(10_000).toLocaleString('en')} of ${f.universe.toLocaleString('en')}`;
  const draw = `stratified panel draw, ${of} in ${f.cells} cells, written`;
  const seconds = (ms: number) => round(ms / 1000, 2);
  const stage = (name: string, ms: number): Result => ({ name, value: seconds(ms), unit: 's', baseline: draw, ratio: round(ms / f.stratified.total, 2) });
  return [
    { name: `panel dry run, ${of} in ${f.cells} cells`, value: seconds(f.dryRun.total), unit: 's' },
    { name: draw, value: seconds(f.stratified.total), unit: 's' },
    stage('… its universe as of a date', f.stratified.universe),
    stage('… its allocation and draw', f.stratified.draw),
    stage(`… writing its ${(10_000).toLocaleString('en')} memberships`, f.stratified.writing),
    {
      name: `balanced (cube) panel draw, ${of}, written`,
      value: seconds(f.balanced.total),
      unit: 's',
      baseline: draw,
      ratio: round(f.balanced.total / f.stratified.total, 2),
    },
  ];
}

/** Surveys end to end at 200 session closures a second: usage.stop PUBACK → prompt on the app, against the stop's own PUBACK. */
async function surveyPrompts(): Promise<Result[]> {
  process.stderr.write("surveys: 200 session closures a second for 10 s, each prompting its person's app\n");
  const t = await surveyPromptTimes();
  process.stderr.write(`surveys: ${t.delivered} of ${t.expected} prompts delivered, ${round(t.rate)} closures/s achieved\n`);
  const ack = (p: string) => `usage.stop publish→PUBACK ${p}, 200 closures/s`;
  const prompt = (p: 'p50' | 'p99'): Result => ({
    name: `usage.stop PUBACK→survey prompt on the app ${p}`,
    value: round(t.prompt[p], 2),
    unit: 'ms',
    baseline: ack(p),
    ratio: round(t.prompt[p] / t.stopAck[p], 2),
  });
  // The prompt's way from its record by the trigger job: the delivery's share of the whole.
  const delivery = (p: 'p50' | 'p99'): Result => ({
    name: `… of it, prompt recorded→on the app ${p}`,
    value: round(t.fromRecorded[p], 2),
    unit: 'ms',
    baseline: prompt(p).name,
    ratio: round(t.fromRecorded[p] / t.prompt[p], 2),
  });
  return [
    { name: ack('p50'), value: round(t.stopAck.p50, 2), unit: 'ms' },
    { name: ack('p99'), value: round(t.stopAck.p99, 2), unit: 'ms' },
    prompt('p50'),
    prompt('p99'),
    delivery('p50'),
    delivery('p99'),
    { name: 'session closures a second achieved', value: round(t.rate), unit: 'ses/s' },
    { name: 'survey prompts delivered of sessions closed', value: round(t.delivered / t.expected, 4), unit: 'share' },
  ];
}

async function main(): Promise<void> {
  // BENCH_ONLY=rederive: just the re-derivation figures, printed, results.json left as it is.
  if (process.env.BENCH_ONLY === 'rederive') return print(await rederivation());
  // BENCH_ONLY=traits: just the trait import rate, printed.
  if (process.env.BENCH_ONLY === 'traits') return print(traitImport());
  // BENCH_ONLY=weighting: just the weighting figures, printed.
  if (process.env.BENCH_ONLY === 'weighting') return print(raking());
  // BENCH_ONLY=panels: just the panel draw figures, printed.
  if (process.env.BENCH_ONLY === 'panels') return print(panelDraw());
  // BENCH_ONLY=surveys: just the survey prompt latency and its baseline, printed.
  if (process.env.BENCH_ONLY === 'surveys') return print(await surveyPrompts());
  process.stderr.write(`load: ${devices} devices over ${processes} processes, ${durationMs / 1000} s per run, window ${window}\n`);
  const aedes = await startBareAedes(devices);
  const aedesResult = await measure(aedes);
  await aedes.stop();
  // BENCH_ONLY=ingest: just durable ingest against aedes, printed (to compare two builds quickly).
  if (process.env.BENCH_ONLY === 'ingest') {
    const only = await startParcours(devices);
    const onlyResult = await measure(only);
    await only.stop();
    await rm(only.dataDir, { recursive: true, force: true });
    return print([
      { name: 'aedes QoS 1 pass-through', value: round(aedesResult.saturation), unit: 'msg/s' },
      {
        name: 'parcours durable ingest QoS 1',
        value: round(onlyResult.saturation),
        unit: 'msg/s',
        baseline: 'aedes QoS 1 pass-through',
        ratio: round(onlyResult.saturation / aedesResult.saturation, 2),
      },
    ]);
  }
  const mosquitto = await startMosquittoTarget(devices);
  const mosquittoResult = await measure(mosquitto);
  await mosquitto.stop();

  const relaxed = await startParcours(devices, { sync: 'normal' });
  const relaxedResult = await measure(relaxed);
  await relaxed.stop();
  await rm(relaxed.dataDir, { recursive: true, force: true });

  const parcours = await startParcours(devices);
  const parcoursResult = await measure(parcours);
  await parcours.stop();

  // Catch-up: the log filled above is written to a real InfluxDB by a restarted Parcours.
  const influx = await startInfluxDB();
  const started = performance.now();
  const restarted = await startParcours(devices, { dataDir: parcours.dataDir, influxUrl: influx.url });
  while (((await restarted.influxLag()) ?? 1) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  const catchUpRate = (parcoursResult.acked * 1000) / (performance.now() - started);
  await restarted.stop();
  await influx.stop();
  await rm(parcours.dataDir, { recursive: true, force: true });

  process.stderr.write(`connection scale: ${scaleDevices} devices\n`);
  const crowdAedes = await startBareAedes(scaleDevices);
  const aedesScale = await connectionScale(crowdAedes);
  await crowdAedes.stop();
  const crowd = await startParcours(scaleDevices);
  const parcoursScale = await connectionScale(crowd);
  await crowd.stop();
  await rm(crowd.dataDir, { recursive: true, force: true });
  if (parcoursScale.connected < scaleDevices) process.stderr.write(`only ${parcoursScale.connected} of ${scaleDevices} devices connected to Parcours\n`);

  const results: Result[] = [
    { name: 'aedes QoS 1 pass-through', value: round(aedesResult.saturation), unit: 'msg/s' },
    { name: 'mosquitto QoS 1 pass-through', value: round(mosquittoResult.saturation), unit: 'msg/s' },
    {
      name: 'parcours durable ingest QoS 1',
      value: round(parcoursResult.saturation),
      unit: 'msg/s',
      baseline: 'aedes QoS 1 pass-through',
      ratio: round(parcoursResult.saturation / aedesResult.saturation, 2),
    },
    {
      name: 'parcours durable ingest QoS 1 vs mosquitto',
      value: round(parcoursResult.saturation),
      unit: 'msg/s',
      baseline: 'mosquitto QoS 1 pass-through',
      ratio: round(parcoursResult.saturation / mosquittoResult.saturation, 2),
    },
    {
      name: 'parcours ingest QoS 1, data.sync=normal',
      value: round(relaxedResult.saturation),
      unit: 'msg/s',
      baseline: 'aedes QoS 1 pass-through',
      ratio: round(relaxedResult.saturation / aedesResult.saturation, 2),
    },
    { name: 'aedes p99 publish→ack at half saturation', value: round(aedesResult.p99, 2), unit: 'ms' },
    { name: 'parcours p50 publish→ack at half saturation', value: round(parcoursResult.p50, 2), unit: 'ms' },
    {
      name: 'parcours p99 publish→ack at half saturation',
      value: round(parcoursResult.p99, 2),
      unit: 'ms',
      baseline: 'aedes p99 publish→ack at half saturation',
      ratio: round(parcoursResult.p99 / aedesResult.p99, 2),
    },
    { name: 'aedes connect rate, 10,000 devices', value: round(aedesScale.rate), unit: 'conn/s' },
    {
      name: 'parcours connect rate, 10,000 devices',
      value: round(parcoursScale.rate),
      unit: 'conn/s',
      baseline: 'aedes connect rate, 10,000 devices',
      ratio: round(parcoursScale.rate / aedesScale.rate, 2),
    },
    { name: 'aedes memory per connected device', value: round(aedesScale.bytesPerDevice / 1024), unit: 'KiB' },
    {
      name: 'parcours memory per connected device',
      value: round(parcoursScale.bytesPerDevice / 1024),
      unit: 'KiB',
      baseline: 'aedes memory per connected device',
      ratio: round(parcoursScale.bytesPerDevice / aedesScale.bytesPerDevice, 2),
    },
    {
      name: 'influxdb catch-up from the log',
      value: round(catchUpRate),
      unit: 'msg/s',
      baseline: 'parcours durable ingest QoS 1',
      ratio: round(catchUpRate / parcoursResult.saturation, 2),
    },
    ...(await rederivation()),
    ...(await surveyPrompts()),
    ...traitImport(),
    ...panelDraw(),
    ...raking(),
  ];
  print(results);
  await mkdir(join(root, 'bench'), { recursive: true });
  await writeFile(join(root, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
