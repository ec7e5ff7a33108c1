import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startInfluxDB, type InfluxServer } from '../tools/services/index.js';
import { waitUntil } from './mqtt-clients.js';

/**
 * The README's first steps, run as a newcomer runs them: each line of its block as written, from the
 * project's folder, `npm start` in the background and stopped with Ctrl-C (SIGINT to its process group).
 * The only differences are the environment (a fresh data folder, free loopback ports) and the test's
 * InfluxDB's URL in place of the README's.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const block = readFileSync(join(root, 'README.md'), 'utf8').split('## First steps')[1]!.split('```sh')[1]!.split('```')[0]!;
const steps = block
  .trim()
  .split('\n')
  .map((line) => line.split('   #')[0]!.trim());
const step = (start: string) => {
  const found = steps.find((line) => line.startsWith(start));
  if (!found) throw new Error(`the README's first steps have no line starting with "${start}"`);
  return found;
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let env: NodeJS.ProcessEnv;
let http: string;

/** Runs one line through bash in the project's folder, as a user types it. */
function run(line: string, extraEnv: Record<string, string> = {}): Promise<Run> {
  const child = spawn('bash', ['-c', line], { cwd: root, env: { ...env, ...extraEnv } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** `npm start` (a line ending with it) in its own process group, as a terminal runs it. */
class Server {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<void>;

  constructor(line: string, extraEnv: Record<string, string> = {}) {
    this.child = spawn('bash', ['-c', line], { cwd: root, env: { ...env, ...extraEnv }, detached: true });
    const keep = (chunk: Buffer) => (this.output += chunk);
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  async healthy(): Promise<void> {
    await waitUntil(
      () =>
        fetch(`${http}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      180_000,
    );
  }

  /**
   * Ctrl-C: SIGINT to the whole group (the shell, npm and node), as the terminal sends it; resolves once
   * Parcours has stopped cleanly, which removes the mark it keeps on its data folder while it runs.
   */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(-this.child.pid!, 'SIGINT');
    await this.exited;
    await waitUntil(() => !existsSync(join(env.PARCOURS_DATA_DIR!, 'server.json')), 60_000).catch((error: Error) => {
      throw new Error(`${error.message}: Parcours did not stop; its last lines:\n${this.output.split('\n').slice(-15).join('\n')}`);
    });
    expect(this.output).not.toMatch(/forced exit|stop failed/);
  }
}

let server: Server | null = null;
let influx: InfluxServer | null = null;
let adminKey: string;

beforeAll(async () => {
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  http = `http://127.0.0.1:${httpPort}`;
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PARCOURS_') && !name.startsWith('INFLUX_')));
  env = {
    ...inherited,
    PARCOURS_DATA_DIR: mkdtempSync(join(tmpdir(), 'parcours-first-steps-')),
    PARCOURS_HTTP_HOST: '127.0.0.1',
    PARCOURS_HTTP_PORT: String(httpPort),
    PARCOURS_MQTT_HOST: '127.0.0.1',
    PARCOURS_MQTT_PORT: String(mqttPort),
    PARCOURS_LOG_LEVEL: 'warn',
  };
  server = new Server('npm start');
  await server.healthy();
  await waitUntil(() => /Admin key\s+(\S+)/.test(server!.output), 60_000);
  adminKey = /Admin key\s+(\S+)/.exec(server.output)![1]!;
}, 240_000);

afterAll(async () => {
  await server?.stop();
  await influx?.stop();
});

const withKey = (line: string) => line.replaceAll('KEY', adminKey);

describe("the README's first steps, on a fresh data folder", () => {
  it('npm start serves the web page it names', async () => {
    expect(steps[0]).toMatch(/^npx parcours /);
    const page = await fetch(`${http}/ui/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script');
  });

  it("prints a household's day, with the key npm start printed", async () => {
    const day = await run(withKey(step('npx parcours day')));
    expect(day.code, day.stderr).toBe(0);
    expect(day.stdout).toMatch(/^Nguyen household \(hh-nguyen, household\)/);
  });

  let groundTruth: string;

  it('runs a second world beside the built-in fleet, which stays online', async () => {
    const sim = await run(withKey(step('npx parcours sim')));
    expect(sim.code, sim.stderr).toBe(0);
    groundTruth = /^ground truth: (.+)$/m.exec(sim.stdout)![1]!;
    const status = await fetch(`${http}/api/v1/devices/nguyen-coffee/status`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(((await status.json()) as { status: string }).status).toBe('online');
  }, 300_000);

  it("measures Parcours against that world's ground truth, every target met", async () => {
    const accuracy = await run(step('npx parcours accuracy').replace('FILE', groundTruth));
    expect(accuracy.code, `${accuracy.stdout}${accuracy.stderr}`).toBe(0);
    expect(accuracy.stdout).not.toContain('MISSED');
  }, 120_000);

  it('creates a reader key that the running API accepts', async () => {
    const keys = await run(step('npx parcours keys create'));
    expect(keys.code, keys.stderr).toBe(0);
    const response = await fetch(`${http}/api/v1/subjects?limit=1`, { headers: { authorization: `Bearer ${keys.stdout.trim()}` } });
    expect(response.status).toBe(200);
  });

  it('derives everything again once npm start is stopped with Ctrl-C', async () => {
    await server!.stop();
    server = null;
    const rederive = await run(step('npx parcours analytics run'));
    expect(rederive.code, rederive.stderr).toBe(0);
    expect(Number(/(\d+) sessions/.exec(rederive.stdout)?.[1])).toBeGreaterThan(0);
  }, 300_000);

  it('starts again with InfluxDB, which catches up with the stored sessions, journeys and the example funnel', async () => {
    influx = await startInfluxDB();
    const database = 'parcours'; // INFLUX_DATABASE's default, for InfluxDB 1.x
    const line = step('INFLUX_URL=').replace(/INFLUX_URL=\S+/, `INFLUX_URL=${influx.url}`);
    expect(line).toMatch(/npm start$/);
    const restartedAt = Date.now();
    server = new Server(line);
    await server.healthy();
    // What the store held before this start: only the catch-up writes those (the fleet writes what is new).
    const before = `time < ${(restartedAt - 10 * 60_000) * 1_000_000}`;
    const count = async (q: string) => (await influx!.scalar(q, database)) ?? 0;
    await waitUntil(
      async () =>
        (await count(`SELECT count("events") FROM usage_session WHERE ${before}`)) > 0 &&
        (await count(`SELECT count("steps") FROM journey WHERE ${before}`)) > 0 &&
        (await count(`SELECT count("reached") FROM funnel WHERE "funnel" = 'morning' AND ${before}`)) > 0,
      240_000,
    );
  }, 300_000);
});
