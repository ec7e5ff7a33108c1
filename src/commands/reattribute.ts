import { createInfluxWriter, type ReattributeProgress } from '@parcours/gateway';
import { loadConfig } from '../config/load-config.js';
import { refuseBesideServer } from '../lifecycle/server-presence.js';
import { createLogger } from '../logger.js';
import { reattribute } from '../reattribute.js';
import { batchAnalytics } from './batch-analytics.js';
import { openCommandStore } from './command-store.js';
import { instantOption, rangeOptions } from './option-values.js';
import { settingsDiffer } from './settings-differ.js';

function showProgress(p: ReattributeProgress): void {
  const percent = p.total === 0 ? 100 : Math.floor((100 * p.scanned) / p.total);
  const line = `re-attributing: ${p.scanned.toLocaleString('en')}/${p.total.toLocaleString('en')} events (${percent}%), ${p.changed.toLocaleString('en')} changed`;
  process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
}

/** `parcours reattribute --from --to`: on the configured store (and InfluxDB, when set), the server stopped. */
export async function runReattributeCommand(options: { from: string; to: string; config?: string }): Promise<void> {
  const from = instantOption(options.from, '--from');
  const to = instantOption(options.to, '--to');
  rangeOptions(from, to);
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
      throw settingsDiffer(differing);
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
