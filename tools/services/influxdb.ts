import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureInstalled } from './ensure-installed.js';
import { freePort } from './free-port.js';
import { makeTempDir, startProcess } from './managed-process.js';

export interface InfluxServer {
  url: string;
  port: number;
  /** From the `X-Influxdb-Version` header of `/ping`. */
  version: string;
  /** Runs InfluxQL through `POST /query` and returns the parsed JSON. */
  query(q: string, db?: string): Promise<unknown>;
  /** The first value of the first series a query answers (`SELECT count(…)`, `last(…)`), or undefined. */
  scalar(q: string, db: string): Promise<number | undefined>;
  createDatabase(name: string): Promise<void>;
  /** With `keepData`, the data stays for `startInfluxDB({ port, dir })` to start the same server again. */
  stop(options?: { keepData?: boolean }): Promise<void>;
  dir: string;
}

/** Debian's InfluxDB (1.6.7) on free loopback ports (or the HTTP port given) with its data in a temporary folder. */
export async function startInfluxDB(options: { port?: number; dir?: string } = {}): Promise<InfluxServer> {
  ensureInstalled('influxd');
  const [port, rpcPort] = [options.port ?? (await freePort()), await freePort()];
  const dir = options.dir ?? (await makeTempDir('influxdb'));
  const config = `
# Debian's build reads reporting-enabled (upstream's reporting-disabled is ignored).
reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${join(dir, 'meta')}"
[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:${port}"
  log-enabled = false
[monitor]
  store-enabled = false
`;
  await writeFile(join(dir, 'influxdb.conf'), config);
  const url = `http://127.0.0.1:${port}`;
  let version = '';
  const process = await startProcess({
    name: 'influxd',
    dir,
    command: 'influxd',
    args: ['run', '-config', join(dir, 'influxdb.conf')],
    ready: async () => {
      const response = await fetch(`${url}/ping`);
      version = response.headers.get('x-influxdb-version') ?? '';
      return response.status === 204;
    },
  });
  const query = async (q: string, db?: string) => {
    const params = new URLSearchParams({ q, ...(db ? { db } : {}), epoch: 'ms' });
    const response = await fetch(`${url}/query`, { method: 'POST', body: params });
    if (!response.ok) throw new Error(`InfluxDB ${response.status}: ${await response.text()}`);
    return response.json() as Promise<unknown>;
  };
  const scalar = async (q: string, db: string) => {
    const body = (await query(q, db)) as { results: { series?: { values: number[][] }[] }[] };
    return body.results[0]?.series?.[0]?.values[0]?.[1];
  };
  return {
    url,
    port,
    version,
    query,
    scalar,
    createDatabase: async (name) => void (await query(`CREATE DATABASE "${name}"`)),
    stop: (stopOptions = {}) => process.stop({ keepDir: stopOptions.keepData ?? false }),
    dir,
  };
}
