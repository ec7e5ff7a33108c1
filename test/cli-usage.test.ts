import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCodes } from '@parcours/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { oneLineFailure, runCli } from './cli-process.js';
import { startApp, testConfig } from './helpers.js';

/** The mistakes a newcomer makes following the README, each through the real CLI in its own process. */
describe('parcours commands run where no Parcours ran', () => {
  const elsewhere = mkdtempSync(join(tmpdir(), 'parcours-elsewhere-'));
  const commands = [
    ['keys', 'create', '--role', 'admin', '--name', 'ops'],
    ['keys', 'list'],
    ['keys', 'revoke', 'ops'],
    ['analytics', 'run'],
    ['reattribute', '--from', '2025-06-02T00:00:00Z', '--to', '2025-06-03T00:00:00Z'],
  ];

  it.each(commands)('%s %s refuses the folder, naming it, and creates no store', async (...args) => {
    const run = await runCli(args, { cwd: elsewhere });
    const line = oneLineFailure(run, errorCodes.noStore);
    expect(line).toContain(`${join(elsewhere, 'data')} holds no Parcours store`);
    expect(run.stdout).toBe(''); // no key the server would never know
    expect(existsSync(join(elsewhere, 'data'))).toBe(false);
  });

  it('accuracy refuses it too, given a data folder that does not exist', async () => {
    const truth = join(elsewhere, 'truth.json');
    writeFileSync(truth, JSON.stringify({ fromMs: 0, toMs: 1, sessions: [], runningAtStart: [] }));
    const missing = join(elsewhere, 'missing');
    const run = await runCli(['accuracy', '--ground-truth', truth], { cwd: elsewhere, env: { PARCOURS_DATA_DIR: missing } });
    expect(oneLineFailure(run, errorCodes.noStore)).toContain(missing);
    expect(existsSync(missing)).toBe(false);
  });
});

describe('user mistakes: one line with a stable code, a non-zero exit, no stack trace', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'parcours-usage-'));
  let env: Record<string, string>;

  beforeAll(async () => {
    // A server ran on the data folder once, and is stopped: the store exists, its derivation settings are recorded.
    const app = await startApp(testConfig());
    env = { PARCOURS_DATA_DIR: app.config.data.dir };
    await app.stop();
  });

  const fails = async (args: string[], code: string, extraEnv: Record<string, string> = {}) =>
    oneLineFailure(await runCli(args, { cwd, env: { ...env, ...extraEnv } }), code);

  it('keys create: an integrator key without --subject, then a name already taken', async () => {
    expect(await fails(['keys', 'create', '--role', 'integrator', '--name', 'crm'], errorCodes.usage)).toContain('--subject');
    expect((await runCli(['keys', 'create', '--role', 'reader', '--name', 'grafana'], { cwd, env })).code).toBe(0);
    expect(await fails(['keys', 'create', '--role', 'reader', '--name', 'grafana'], errorCodes.conflict)).toContain('grafana');
  });

  it('analytics run: a date that is not ISO 8601, a duration without its unit, settings the server did not derive with', async () => {
    expect(await fails(['analytics', 'run', '--from', 'yesterday'], errorCodes.usage)).toContain('--from yesterday: not an ISO 8601 date-time');
    expect(await fails(['analytics', 'run', '--progress-every', '5000'], errorCodes.usage)).toContain('--progress-every 5000: not a duration such as');
    const differ = await fails(['analytics', 'run'], errorCodes.settingsDiffer, { PARCOURS_ANALYTICS_JOURNEY_GAP: '45m' });
    expect(differ).toContain('journeyGap');
  });

  it('analytics run on a store whose log is empty says so', async () => {
    const run = await runCli(['analytics', 'run', '--progress-every', '1s'], { cwd, env });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('is empty: nothing to re-derive');
    expect(run.stdout).not.toContain('1970');
  });

  it('accuracy: a ground truth that cannot be read, a tolerance without its unit', async () => {
    expect(await fails(['accuracy', '--ground-truth', 'nowhere.json'], errorCodes.usage)).toContain('--ground-truth nowhere.json: cannot read it (ENOENT)');
    expect(await fails(['accuracy', '--ground-truth', 'x.json', '--tolerance', '30000'], errorCodes.usage)).toContain('--tolerance 30000');
  });

  it('a configuration error names the variable the user set', async () => {
    expect(await fails(['keys', 'list'], errorCodes.config, { PARCOURS_HTTP_PORT: 'abc' })).toBe(
      'parcours: invalid configuration: PARCOURS_HTTP_PORT=abc: not a port (a whole number from 0 to 65535) (PARCOURS_E_CONFIG)',
    );
  });

  it('sim: without an API key, then against an API that does not answer', async () => {
    expect(await fails(['sim', '--scenario', 'small'], errorCodes.usage)).toContain('--api-key (or PARCOURS_SIM_API_KEY) is required');
    const run = await runCli(['sim', '--scenario', 'small', '--api-key', 'k', '--api', 'http://127.0.0.1:1', '--broker', 'mqtt://127.0.0.1:1'], { cwd, env });
    expect(run.code).not.toBe(0);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stderr.trimEnd().split('\n').at(-1)).toMatch(/cannot reach the Parcours API at http:\/\/127\.0\.0\.1:1 .*\(PARCOURS_E_UNREACHABLE\)$/);
  });
});
