import { batchJobNames, batchJobs, type BatchJobResult, type BatchProgress } from '@parcours/analytics';
import { createInfluxWriter } from '@parcours/gateway';
import { Command, Option } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { refuseBesideServer } from '../lifecycle/server-presence.js';
import { createLogger } from '../logger.js';
import { batchAnalytics } from './batch-analytics.js';
import { openCommandStore } from './command-store.js';
import { bar, startProgress } from './progress.js';

export interface AnalyticsRunOptions {
  from?: string;
  to?: string;
  job?: string[];
  config?: string;
  progressEvery?: string;
  settingsChanged?: boolean;
}

function instant(text: string, flag: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`${flag}: "${text}" is not an ISO 8601 date-time`);
  return ms;
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
  const progress = startProgress({ stream: process.stderr, everyMs: Number(options.progressEvery ?? 5_000), render: () => renderProgress(latest) });
  try {
    // The whole log unless told otherwise; `--to` is excluded, so one past the newest record.
    const span = gateway.log.timeSpan();
    const from = options.from === undefined ? (span?.from ?? 0) : instant(options.from, '--from');
    const to = options.to === undefined ? (span ? span.to + 1 : from + 1) : instant(options.to, '--to');
    if (to <= from) throw new Error('--to must be after --from');
    const influx = config.influx.url ? createInfluxWriter(config.influx, logger) : null;
    const analytics = batchAnalytics(config, gateway, influx, logger);
    const differing = analytics.settingsDifferences();
    if (differing.length > 0 && !options.settingsChanged) {
      throw new Error(
        `these settings differ from those the server derived with: ${differing.join(', ')} (PARCOURS_ANALYTICS_*). ` +
          "Run with the server's configuration, or pass --settings-changed to re-derive with these on purpose (the server must then run with them too).",
      );
    }
    if (options.settingsChanged) analytics.adoptSettings();
    const started = performance.now();
    const run = await analytics.runBatch({
      jobs,
      from,
      to,
      onProgress: (p) => {
        latest = p;
        finals.set(p.job, p);
      },
    });
    progress.stop();
    if (!process.stderr.isTTY) for (const p of finals.values()) process.stderr.write(`${renderProgress(p)}\n`);
    process.stdout.write(summary(run.results, from, to, performance.now() - started, influx !== null));
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
    .option('--progress-every <ms>', 'when stderr is not a terminal, a progress line this often (default 5000)')
    .option('--settings-changed', 're-derive with analytics settings other than those the server last ran with, on purpose')
    .action(runAnalyticsRunCommand);
  return analytics;
}
