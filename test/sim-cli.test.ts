import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseUsageTruth,
  baseUsageTruthSchema,
  customerBaseTruth,
  customerBaseTruthSchema,
  generateCustomerBase,
  generateUsage,
  loadScenario,
  usageDeviceTypes,
} from '../firmware-sim/src/index.js';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, api, scrapeMetrics, startApp, testConfig } from './helpers.js';

/** `parcours sim` as users run it: a child process against a started Parcours, its output and exit code. */
const bin = fileURLToPath(new URL('../bin/parcours.js', import.meta.url));
const simDir = mkdtempSync(join(tmpdir(), 'parcours-sim-cli-'));

function sim(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // The data folder holds the scenario's state and ground truth; logs stay quiet but for warnings.
    const child = spawn('node', [bin, 'sim', ...args], { env: { ...process.env, PARCOURS_DATA_DIR: simDir, PARCOURS_LOG_LEVEL: 'warn', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const field = (stdout: string, name: string) => Number(new RegExp(`^${name}\\s+(\\d+)`, 'm').exec(stdout)?.[1]);

describe('parcours sim', () => {
  let app: ParcoursApp;

  beforeAll(async () => {
    app = await startApp(testConfig());
  });

  afterAll(async () => {
    await app.stop();
    rmSync(simDir, { recursive: true, force: true });
  });

  it('--load registers its devices, prints the report with progress lines, exits 0 when every message is acked', async () => {
    const { code, stdout, stderr } = await sim([
      '--load',
      '--devices',
      '4',
      '--rate',
      '20',
      '--processes',
      '2',
      '--duration',
      '2s',
      '--window',
      '4',
      '--broker',
      app.urls.mqtt,
      '--api',
      app.urls.http,
      '--api-key',
      adminKey(),
      '--progress-every',
      '300ms',
    ]);
    expect(stderr).not.toContain('\r');
    expect(stderr.split('\n').filter((line) => /load \d+\.\d s: sent \d+, acked \d+/.test(line)).length).toBeGreaterThanOrEqual(3);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^load: 4 devices over 2 processes, QoS 1, 2\.0 s$/m);
    const sent = field(stdout, 'sent');
    expect(sent).toBeGreaterThan(100);
    expect(field(stdout, 'acked')).toBe(sent);
    expect(field(stdout, 'unacked')).toBe(0);
    expect(stdout).toMatch(/^latency\s+p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms/m);
    expect(stdout).toMatch(/^max in flight\s+[1-4] per device \(window 4\)$/m);
    // Acked means stored: the gateway accepted every one of them.
    expect(await scrapeMetrics(app.urls.http)).toMatch(new RegExp(`^parcours_messages_stored_total\\{channel="telemetry"\\} ${sent}$`, 'm'));
  });

  it('--universe without an API key writes the customer base and its ground truth, the same as the library makes', async () => {
    const out = join(simDir, 'universe');
    const { code, stdout } = await sim(['--universe', '3000', '--universe-out', out, '--seed', '4', '--from', '2026-03-02T09:00:00Z']);
    expect(code).toBe(0);
    expect(stdout).toContain(`ground truth: ${join(out, 'ground-truth.json')}`);
    const written = customerBaseTruthSchema.parse(JSON.parse(readFileSync(join(out, 'ground-truth.json'), 'utf8')));
    expect(written).toEqual(customerBaseTruth(generateCustomerBase({ size: 3000, seed: 4, startsAt: Date.UTC(2026, 2, 2) })));
    for (const file of ['sources.json', 'subjects.csv', 'identities.csv', 'crm.csv', 'loyalty.csv', 'web.csv', 'attrition.csv'])
      expect(readFileSync(join(out, file), 'utf8').length, file).toBeGreaterThan(0);
  });

  it('--usage publishes the whole base’s usage over the weeks before the simulated end and writes its truth', async () => {
    const out = join(simDir, 'usage');
    const size = 300;
    const { code, stdout, stderr } = await sim(
      [
        ...['--scenario', 'coworking', '--seed', '5', '--speed', 'max', '--from', '2026-03-04T07:00:00Z', '--duration', '1h'],
        ...['--universe', String(size), '--universe-out', out, '--usage', '2', '--progress-every', '200ms'],
        ...['--broker', app.urls.mqtt, '--api', app.urls.http, '--api-key', adminKey()],
      ],
      // The weeks are in the past of the events' arrival: the sim checks them against the same lateness as the server.
      { PARCOURS_GATEWAY_MAX_LATENESS: '3650d' },
    );
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/^usage: \[[#.]+\] +\d+%: devices \d+\/\d+, acked \d+\/\d+$/m);
    // The two whole weeks before the week of the simulated end (Wednesday 4 March): from Monday 16 February.
    const from = Date.UTC(2026, 1, 16);
    const week = 7 * 86_400_000;
    const persons = (await loadScenario('coworking')).individuals.filter((p) => p.type === 'person').map((p) => p.id);
    const base = generateCustomerBase({ size, seed: 5, startsAt: Date.UTC(2026, 2, 4), worldIndividuals: persons });
    const usage = generateUsage(base, { seed: 5, from, weeks: 2 });
    const written = baseUsageTruthSchema.parse(JSON.parse(readFileSync(join(out, 'usage-truth.json'), 'utf8')));
    expect(written).toEqual(baseUsageTruth(usage, 5));
    expect(stdout).toContain(`usage truth: ${join(out, 'usage-truth.json')}`);
    expect(stdout).toMatch(
      new RegExp(
        `^usage: 2 weeks from 2026-02-16 to 2026-03-02 .*; ${size * 2} devices registered, \\d+ with sessions connected, ${usage.start.length * 2} events acked$`,
        'm',
      ),
    );

    // What Parcours made of it: per week and device type, the sessions and the people the usage holds.
    await app.drained();
    const activity = await api<{ items: { start: string; deviceType: string; subjectType: string | null; activeSubjects: number; sessions: number }[] }>(
      app.urls.http,
      'GET',
      `/api/v1/activity?period=week&subjectType=person&from=${new Date(from).toISOString()}&to=${new Date(from + 2 * week).toISOString()}`,
    );
    expect(activity.status).toBe(200);
    const expected = [];
    for (let w = 0; w < 2; w++)
      for (const [t, deviceType] of usageDeviceTypes.entries()) {
        const people = new Set<number>();
        let sessions = 0;
        for (let i = 0; i < usage.count; i++)
          for (let s = usage.first[i]!; s < usage.first[i + 1]!; s++)
            if (usage.deviceType[s] === t && Math.floor((usage.start[s]! - from) / week) === w) {
              people.add(i);
              sessions++;
            }
        expected.push({ start: new Date(from + w * week).toISOString(), deviceType, activeSubjects: people.size, sessions });
      }
    const got = activity.body.items.map(({ start, deviceType, activeSubjects, sessions }) => ({ start, deviceType, activeSubjects, sessions }));
    expect(got).toEqual(expect.arrayContaining(expected));
    expect(got).toHaveLength(expected.length);
  });

  it('--usage refuses weeks the gateway would quarantine as too late, and needs --universe', async () => {
    const late = await sim(['--universe', '300', '--usage', '2', '--api-key', 'any', '--duration', '1h'], { PARCOURS_GATEWAY_MAX_LATENESS: '7d' });
    expect(late.code).not.toBe(0);
    expect(late.stderr).toMatch(/further back than gateway\.maxLateness \(7d\).*PARCOURS_GATEWAY_MAX_LATENESS=\d+d or more/);
    const alone = await sim(['--usage', '2']);
    expect(alone.code).not.toBe(0);
    expect(alone.stderr).toContain('--usage needs --universe');
  });

  it('--load exits non-zero when the broker is unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { code, stderr } = await sim(['--load', '--devices', '2', '--duration', '1s', '--broker', `mqtt://127.0.0.1:${port}`, '--anonymous']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('no device could connect');
  });

  it('--load exits non-zero when registration is refused', async () => {
    const { code, stderr } = await sim([
      '--load',
      '--devices',
      '2',
      '--duration',
      '1s',
      '--broker',
      app.urls.mqtt,
      '--api',
      app.urls.http,
      '--api-key',
      'not-a-key',
    ]);
    expect(code).not.toBe(0);
    expect(stderr).toContain('PARCOURS_E_UNAUTHORIZED');
  });

  it('runs a scenario for --duration of simulated time and prints its summary', async () => {
    const { code, stdout } = await sim([
      '--scenario',
      'small',
      '--seed',
      '3',
      '--speed',
      'max',
      '--from',
      '2025-06-02T07:00:00Z',
      '--duration',
      '2h',
      '--broker',
      app.urls.mqtt,
      '--api',
      app.urls.http,
      '--api-key',
      adminKey(),
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^acked \d+ \(telemetry \d+, events \d+, faults \d+\), failed 0$/m);
    expect(stdout).toMatch(/ground-truth-1748847600000-1748854800000\.json/);
  });
});
