import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCodes, type ServedJourney, type ServedSession } from '@parcours/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { oneLineFailure, runCli, type CliRun } from './cli-process.js';
import { adminKey, api, startApp, testConfig } from './helpers.js';
import { runSmallFleet } from './simulated-run.js';

/**
 * `parcours day` against a running Parcours holding real data: the `small` fleet's morning, its last
 * results still open. Times are read in the child's time zone (Paris: two hours ahead in June).
 */
const hour = 3_600_000;
const from = Date.UTC(2025, 5, 2, 4); // 06:00 in Paris
const to = from + 4 * hour;
const cwd = mkdtempSync(join(tmpdir(), 'parcours-day-'));
const paris = (ms: number) => new Date(ms + 2 * hour).toISOString().slice(11, 16);

let app: ParcoursApp;

beforeAll(async () => {
  app = await startApp(testConfig());
  await runSmallFleet(app, { from, to, seed: 4 });
});
afterAll(async () => {
  await app.stop();
});

const day = (args: string[], env: Record<string, string> = {}): Promise<CliRun> =>
  runCli(['day', ...args, '--api', app.urls.http], { cwd, env: { TZ: 'Europe/Paris', ...env } });

async function results(subject: string): Promise<{ sessions: ServedSession[]; journeys: ServedJourney[] }> {
  const range = `from=${new Date(from - 2 * hour).toISOString()}&to=${new Date(from + 22 * hour).toISOString()}&status=all`;
  const sessions = await api<{ items: ServedSession[] }>(app.urls.http, 'GET', `/api/v1/subjects/${subject}/sessions?${range}`);
  const journeys = await api<{ items: ServedJourney[] }>(app.urls.http, 'GET', `/api/v1/subjects/${subject}/journeys?${range}`);
  return { sessions: sessions.body.items, journeys: journeys.body.items };
}

describe('parcours day', () => {
  it("prints a household's day as a timeline: journeys with their steps, the sessions of none, devices, actors", async () => {
    const { sessions, journeys } = await results('hh-martin');
    expect(sessions.length).toBeGreaterThan(1);
    const run = await day(['hh-martin', '--date', '2025-06-02'], { PARCOURS_API_KEY: adminKey() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('Martin household (hh-martin, household): 2025-06-02, times in Europe/Paris');
    for (const s of sessions) {
      const line = lines.find((l) => l.includes(`${paris(Date.parse(s.start as unknown as string))}–`) && l.includes(` ${s.deviceId}`));
      expect(line, `session ${s.id}`).toBeDefined();
      expect(line).toContain(s.deviceType);
      if (s.actor) expect(line).toContain(`by ${s.actor}`);
      if (s.inferredActor) expect(line).toContain(`probably ${s.inferredActor}`);
      expect(line!.includes('OPEN')).toBe(s.status === 'open');
    }
    for (const j of journeys) {
      const head = lines.findIndex((l) => l.startsWith(`${paris(Date.parse(j.start as unknown as string))}–`) && l.includes(`journey ${j.path} `));
      expect(head, `journey ${j.id}`).toBeGreaterThanOrEqual(0);
      // Its steps follow, indented.
      expect(lines.slice(head + 1, head + 1 + j.steps).every((l) => l.startsWith('  '))).toBe(true);
    }
    expect(run.stdout).toContain(`${journeys.length} journey`);
    expect(run.stdout).toContain(`${sessions.length} session`);
  });

  it('reads another day in the local time zone, and says when there is nothing', async () => {
    const run = await day(['ind-alice', '--date', '2025-06-03', '--api-key', adminKey()]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('no sessions this day');
  });

  it('refuses a day that is not one, no key, an unknown subject, a refused key, an API that does not answer', async () => {
    expect(oneLineFailure(await day(['ind-alice', '--date', '2025-02-30', '--api-key', 'k']), errorCodes.usage)).toContain('--date 2025-02-30');
    expect(oneLineFailure(await day(['ind-alice']), errorCodes.usage)).toContain('PARCOURS_API_KEY');
    expect(oneLineFailure(await day(['nobody', '--api-key', adminKey()]), errorCodes.notFound)).toContain('no subject nobody');
    expect(oneLineFailure(await day(['ind-alice', '--api-key', 'not-a-key']), errorCodes.unauthorized)).toContain('--api-key or PARCOURS_API_KEY');
    const closed = await runCli(['day', 'ind-alice', '--api', 'http://127.0.0.1:1', '--api-key', 'k'], { cwd });
    expect(oneLineFailure(closed, errorCodes.unreachable)).toContain('cannot reach the Parcours API at http://127.0.0.1:1');
  });
});
