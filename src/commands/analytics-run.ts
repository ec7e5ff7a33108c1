import { batchJobNames, batchJobs, type BatchJobResult, type BatchProgress } from '@parcours/analytics';
import { createInfluxWriter } from '@parcours/gateway';
import { Command, Option } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { refuseBesideServer } from '../lifecycle/server-presence.js';
import { createLogger } from '../logger.js';
import { batchAnalytics } from './batch-analytics.js';
import { openCommandStore } from './command-store.js';
import { durationOption, instantOption, rangeOptions } from './option-values.js';
import { bar, startProgress } from './progress.js';
import { settingsDiffer } from './settings-differ.js';

export interface AnalyticsRunOptions {
  from?: string;
  to?: string;
  job?: string[];
  config?: string;
  progressEvery?: string;
  settingsChanged?: boolean;
}

function renderProgress(p: BatchProgress | null): string | null {
  if (!p) return null;
  return `${p.job}: ${bar(p.total === 0 ? 1 : p.done / p.total)} ${p.done.toLocaleString('en')}/${p.total.toLocaleString('en')} ${p.unit}`;
}

/**
 * `parcours analytics run`: batch jobs over a range of the durable log, on the configured store (and
 * InfluxDB, when set), the server stopped: integrators hear of the changes from the outbox when it next starts.
 */
export async function runAnalyticsRunCommand(options: AnalyticsRunOptions): Promise<void> {
  const jobs = options.job ?? batchJobNames;
  const from = options.from === undefined ? undefined : instantOption(options.from, '--from');
  const to = options.to === undefined ? undefined : instantOption(options.to, '--to');
  const progressEveryMs = durationOption(options.progressEvery ?? '5s', '--progress-every');
  const config = loadConfig({ file: options.config });
  refuseBesideServer(
    config.data.dir,
    () => 'a re-derivation beside it would be overwritten by the sessions and journeys it keeps in memory: stop it first (Ctrl-C), then run this again',
  );
  const logger = createLogger({ ...config.log, level: 'warn' });
  const { gateway, store } = openCommandStore(config, logger);
  let latest: BatchProgress | null = null;
  // Each job's last state: off a terminal, a run shorter than a progress period still shows its jobs.
  const finals = new Map<string, BatchProgress>();
  const progress = startProgress({ stream: process.stderr, everyMs: progressEveryMs, render: () => renderProgress(latest) });
  try {
    // The whole log unless told otherwise; `--to` is excluded, so one past the newest record.
    const influx = config.influx.url ? createInfluxWriter(config.influx, logger) : null;
    const analytics = batchAnalytics(config, gateway, influx, logger);
    const differing = analytics.settingsDifferences();
    if (differing.length > 0 && !options.settingsChanged) {
      throw settingsDiffer(differing, 'pass --settings-changed to re-derive with these on purpose (the server must then run with them too)');
    }
    const span = gateway.log.timeSpan();
    if (!span && (from === undefined || to === undefined)) {
      process.stdout.write(`the durable log in ${config.data.dir} is empty: nothing to re-derive\n`);
      return;
    }
    const range = { from: from ?? span!.from, to: to ?? span!.to + 1 };
    rangeOptions(range.from, range.to);
    if (options.settingsChanged) analytics.adoptSettings();
    const started = performance.now();
    const run = await analytics.runBatch({
      jobs,
      ...range,
      onProgress: (p) => {
        latest = p;
        finals.set(p.job, p);
      },
    });
    progress.stop();
    if (!process.stderr.isTTY) for (const p of finals.values()) process.stderr.write(`${renderProgress(p)}\n`);
    process.stdout.write(summary(run.results, range.from, range.to, performance.now() - started, influx !== null));
  } finally {
    progress.stop();
    store.close();
  }
}

function summary(results: readonly BatchJobResult[], from: number, to: number, ms: number, influx: boolean): string {
  const range = `${new Date(from).toISOString()} → ${new Date(to).toISOString()}`;
  const done = results.map((r) => `${r.count.toLocaleString('en')} ${r.unit}`).join(', ');
  return `${range}: re-derived ${done} in ${(ms / 1000).toFixed(1)} s (store${influx ? ', InfluxDB' : ''}; changes queued for integrators)\n`;
}

/** `parcours analytics …`: the analytics' batch commands. */
export function analyticsCommand(): Command {
  const analytics = new Command('analytics').description('Analytics batch jobs over the durable log.');
  analytics
    .command('run')
    .description('Re-derive a range of the durable log: the results of each job in the range are replaced (same ids, never added) in the store and InfluxDB.')
    .option('--from <iso>', 'start of the range (ISO 8601; default: the oldest record)')
    .option('--to <iso>', 'end of the range, excluded (ISO 8601; default: just after the newest record)')
    .addOption(
      new Option(
        '--job <name...>',
        `jobs to run (default: all), always in this order: ${batchJobs.map((j) => `${j.name} (${j.description})`).join(', ')}`,
      ).choices(batchJobNames),
    )
    .option('-c, --config <file>', 'configuration file (data folder, InfluxDB)')
    .option('--progress-every <d>', 'when stderr is not a terminal, a progress line this often (a duration, default 5s)')
    .option('--settings-changed', 're-derive with analytics settings other than those the server last ran with, on purpose')
    .action(runAnalyticsRunCommand);
  return analytics;
}
