import { createInfluxWriter, type ReattributeProgress } from '@parcours/gateway';
import { loadConfig } from '../config/load-config.js';
import { refuseBesideServer } from '../lifecycle/server-presence.js';
import { createLogger } from '../logger.js';
import { reattribute } from '../reattribute.js';
import { batchAnalytics } from './batch-analytics.js';
import { openCommandStore } from './command-store.js';

function instant(text: string, flag: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`${flag}: "${text}" is not an ISO 8601 date-time`);
  return ms;
}

function showProgress(p: ReattributeProgress): void {
  const percent = p.total === 0 ? 100 : Math.floor((100 * p.scanned) / p.total);
  const line = `re-attributing: ${p.scanned.toLocaleString('en')}/${p.total.toLocaleString('en')} events (${percent}%), ${p.changed.toLocaleString('en')} changed`;
  process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
}

/** `parcours reattribute --from --to`: on the configured store (and InfluxDB, when set), the server stopped. */
export async function runReattributeCommand(options: { from: string; to: string; config?: string }): Promise<void> {
  const from = instant(options.from, '--from');
  const to = instant(options.to, '--to');
  if (to <= from) throw new Error('--to must be after --from');
  const config = loadConfig({ file: options.config });
  refuseBesideServer(config.data.dir, (server) => {
    const body = JSON.stringify({ from: new Date(from).toISOString(), to: new Date(to).toISOString() });
    return (
      'a correction made beside it would be overwritten by what it keeps in memory. Let it make the correction, without downtime: ' +
      `POST /api/v1/reattribute with an admin key, e.g. curl -X POST -H 'authorization: Bearer <admin key>' -H 'content-type: application/json' ` +
      `-d '${body}' ${server.http}/api/v1/reattribute`
    );
  });
  const logger = createLogger({ ...config.log, level: 'warn' });
  const { gateway, store } = openCommandStore(config, logger);
  try {
    const influx = config.influx.url ? createInfluxWriter(config.influx, logger) : null;
    const analytics = batchAnalytics(config, gateway, influx, logger);
    const differing = analytics.settingsDifferences();
    if (differing.length > 0) {
      throw new Error(
        `these settings differ from those the server derived with: ${differing.join(', ')} (PARCOURS_ANALYTICS_*); run with the server's configuration`,
      );
    }
    const result = await reattribute({ gateway, analytics, influx, sink: null, logger }, from, to, showProgress);
    if (process.stderr.isTTY) process.stderr.write('\n');
    process.stdout.write(
      `${result.changed} events re-attributed on ${result.devices.length} devices; ${result.sessions} sessions re-derived${influx ? ' and rewritten to InfluxDB' : ''}\n`,
    );
  } finally {
    store.close();
  }
}
