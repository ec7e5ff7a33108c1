import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../services/free-port.js';
import { acceptsTcp } from '../services/managed-process.js';
import { startMosquitto } from '../services/mosquitto.js';
import { loadDevices, type LoadDevice } from '@parcours/firmware-sim';
import { pino } from 'pino';

/** A broker under measurement, in its own process, with the devices that may publish to it. */
export interface Target {
  name: string;
  url: string;
  devices: LoadDevice[];
  /** The broker's process, to read its memory; null when the harness owns it (Mosquitto). */
  pid: number | null;
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL('../../../', import.meta.url));

async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not start`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  };
}

const anonymousDevices = (count: number) => Array.from({ length: count }, (_, i) => ({ id: `bench-${i}` }));

export async function startBareAedes(devices: number): Promise<Target> {
  const port = await freePort();
  const child = spawn('node', [join(root, 'tools/dist/bench/bare-aedes.js'), String(port)], { stdio: 'ignore' });
  await waitUntil(() => acceptsTcp(port), 'aedes');
  return { name: 'aedes', url: `mqtt://127.0.0.1:${port}`, devices: anonymousDevices(devices), pid: child.pid ?? null, stop: stopper(child) };
}

export async function startMosquittoTarget(devices: number): Promise<Target> {
  const broker = await startMosquitto();
  return { name: 'mosquitto', url: broker.url, devices: anonymousDevices(devices), pid: null, stop: () => broker.stop() };
}

/** The admin key of a bench's Parcours, for the API calls a bench makes beyond registering its devices. */
export const adminKey = 'bench-admin-key-0123456789abcdef';

export interface ParcoursTarget extends Target {
  http: string;
  dataDir: string;
  /** Records not yet written to InfluxDB (from /metrics); null without InfluxDB. */
  influxLag(): Promise<number | null>;
}

/** Parcours as users run it (`parcours start`), on a fresh or given data folder, with registered devices. */
export async function startParcours(
  devices: number,
  options: { dataDir?: string; influxUrl?: string; sync?: 'full' | 'normal' } = {},
): Promise<ParcoursTarget> {
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'parcours-bench-')));
  const child = spawn('node', [join(root, 'bin/parcours.js'), 'start'], {
    stdio: 'ignore',
    env: {
      ...process.env,
      PARCOURS_DATA_DIR: dataDir,
      PARCOURS_HTTP_HOST: '127.0.0.1',
      PARCOURS_HTTP_PORT: String(httpPort),
      PARCOURS_MQTT_HOST: '127.0.0.1',
      PARCOURS_MQTT_PORT: String(mqttPort),
      PARCOURS_SIM_SCENARIO: 'none',
      PARCOURS_LOG_LEVEL: 'warn',
      PARCOURS_LOG_FORMAT: 'json',
      PARCOURS_HTTP_ADMIN_KEY: adminKey,
      PARCOURS_DATA_SYNC: options.sync ?? 'full',
      // Every simulated device connects from 127.0.0.1: the limits meant for one address or a reconnect storm would measure themselves.
      PARCOURS_MQTT_CONNECT_RATE: '1000000',
      PARCOURS_MQTT_MAX_PENDING_PER_ADDRESS: '1000000',
      // Saturation is a few devices publishing as fast as they can, far above any device's publish rate.
      PARCOURS_MQTT_PUBLISH_RATE: '1000000',
      ...(options.influxUrl ? { INFLUX_URL: options.influxUrl, INFLUX_DATABASE: 'bench' } : {}),
    },
  });
  const http = `http://127.0.0.1:${httpPort}`;
  await waitUntil(async () => (await fetch(`${http}/healthz`)).ok, 'parcours');
  // Created through the API (or, on a reused store, given fresh secrets), sixteen at a time.
  const registered = await loadDevices(
    { prefix: 'bench-', count: devices },
    { apiUrl: http, apiKey: adminKey, deviceType: 'meter' },
    pino({ level: 'silent' }),
  );
  return {
    name: 'parcours',
    url: `mqtt://127.0.0.1:${mqttPort}`,
    http,
    dataDir,
    devices: registered,
    pid: child.pid ?? null,
    stop: stopper(child),
    async influxLag() {
      const metrics = await (await fetch(`${http}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } })).text();
      const match = /parcours_log_consumer_lag\{consumer="influx-raw"\} (\d+)/.exec(metrics);
      return match ? Number(match[1]) : null;
    },
  };
}
