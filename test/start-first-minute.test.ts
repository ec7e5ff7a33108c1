import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../tools/services/index.js';
import { waitUntil } from './mqtt-clients.js';
import { nodeEnv } from './node-process.js';

/** `parcours start` as `npm start` runs it: the built-in fleet, the default settings, a fresh data folder. */
const bin = fileURLToPath(new URL('../bin/parcours.js', import.meta.url));
const key = 'first-minute-admin-key-0123456789';
const minute = 60_000;

interface LogLine {
  level: number;
  msg: string;
  simulated?: boolean;
  deviceId?: string;
  clientId?: string;
  topic?: string;
}

describe('the first minute of `parcours start`', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parcours-first-minute-'));
  let child: ChildProcess;
  let http: string;
  let mqtt: string;
  let startedAt: number;
  let stdout = '';

  const get = async (path: string): Promise<Record<string, unknown> | null> => {
    const response = await fetch(`${http}/api/v1${path}`, { headers: { authorization: `Bearer ${key}` } }).catch(() => null);
    return response?.ok ? ((await response.json()) as Record<string, unknown>) : null;
  };
  const count = async (path: string): Promise<number> => ((await get(path))?.items as unknown[] | undefined)?.length ?? 0;
  const lastTwoDays = () => `from=${new Date(Date.now() - 2 * 86_400_000).toISOString()}&to=${new Date(Date.now() + minute).toISOString()}`;

  beforeAll(async () => {
    const [httpPort, mqttPort] = [await freePort(), await freePort()];
    const env = nodeEnv(
      { http: httpPort, mqtt: mqttPort },
      { PARCOURS_DATA_DIR: dataDir, PARCOURS_HTTP_ADMIN_KEY: key, PARCOURS_LOG_LEVEL: 'info', PARCOURS_LOG_FORMAT: 'json' },
    );
    // The fleet and the device-time rules as `npm start` has them.
    for (const name of ['PARCOURS_SIM_SCENARIO', 'PARCOURS_GATEWAY_MAX_CLOCK_SKEW', 'PARCOURS_GATEWAY_MAX_LATENESS']) delete env[name];
    http = `http://127.0.0.1:${httpPort}`;
    mqtt = `mqtt://127.0.0.1:${mqttPort}`;
    startedAt = Date.now();
    child = spawn('node', [bin, 'start'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows sessions and a household journey within a minute', async () => {
    const households = ['hh-martin', 'hh-nguyen'];
    let firstSession = 0;
    await waitUntil(async () => {
      for (const id of households) if ((await count(`/subjects/${id}/sessions?${lastTwoDays()}`)) > 0) firstSession = Date.now() - startedAt;
      return firstSession > 0;
    }, 2 * minute);
    let firstJourney = 0;
    await waitUntil(async () => {
      for (const id of households) if ((await count(`/subjects/${id}/journeys?${lastTwoDays()}`)) > 0) firstJourney = Date.now() - startedAt;
      return firstJourney > 0;
    }, 2 * minute);
    console.info(`first session after ${firstSession} ms, first household journey after ${firstJourney} ms`);
    expect(firstSession).toBeLessThan(minute);
    expect(firstJourney).toBeLessThan(minute);
  });

  it('declares an example funnel that the fleet enters', async () => {
    expect(await get('/funnels')).toMatchObject({ items: [{ name: 'morning', countBy: 'collective' }] });
    await waitUntil(async () => (((await get(`/funnels/morning?${lastTwoDays()}`))?.entered as number | undefined) ?? 0) > 0, 2 * minute);
  });

  it('marks the log lines of the fleet’s deliberate faults as simulated', async () => {
    const lines = () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as LogLine);
    await waitUntil(() => lines().some((line) => line.msg.startsWith('message quarantined')), 2 * minute);
    const warnings = lines().filter((line) => line.level >= 40);
    expect(warnings.length).toBeGreaterThan(0);
    for (const line of warnings) expect(line, JSON.stringify(line)).toMatchObject({ simulated: true, msg: expect.stringMatching(/\(simulated device\)$/) });
  });

  it('refuses a second simulator of the same world, and the fleet stays online', async () => {
    await waitUntil(async () => (await get('/devices/martin-coffee/status'))?.status === 'online', 2 * minute);
    const simDir = mkdtempSync(join(tmpdir(), 'parcours-second-sim-'));
    const second = spawn('node', [bin, 'sim', '--broker', mqtt, '--api', http, '--api-key', key, '--duration', '1h'], {
      env: { ...process.env, PARCOURS_DATA_DIR: simDir, PARCOURS_LOG_LEVEL: 'warn' },
    });
    let stderr = '';
    second.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => second.once('exit', resolve));
    rmSync(simDir, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/scenario "small" is already running.*\(PARCOURS_E_WORLD_RUNNING\)$/)]);
    expect((await get('/devices/martin-coffee/status'))?.status).toBe('online');
  });
});
