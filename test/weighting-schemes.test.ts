import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorCodes } from '@parcours/contracts';
import { CustomerBaseClient, customerBaseTruth, customerId, generateCustomerBase, pushCustomerBase, writeCustomerBase } from '@parcours/firmware-sim';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRPackage } from '../tools/services/ensure-installed.js';
import type { ParcoursApp } from '../src/app.js';
import { oneLineFailure, runCli } from './cli-process.js';
import { adminKey, api, startApp, testConfig } from './helpers.js';

/**
 * Weighting schemes on a real Parcours: a simulated customer base pushed, a panel drawn with very unequal
 * sampling fractions by région × age band, raked back to the universe's age bands and household sizes as of
 * the draw. The targets are checked against the simulator's ground truth, the stored weights against R's
 * survey::rake run on that truth, so that base weights and targets are checked as wired, not only the raking.
 */
const day = 86_400_000;
const startsAt = Date.UTC(2026, 2, 2);
const at = new Date(startsAt + day).toISOString();
let app: ParcoursApp;
let base: ReturnType<typeof generateCustomerBase>;
let truth: ReturnType<typeof customerBaseTruth>;
let dir: string;

interface Run {
  version: number;
  stored: boolean;
  size: number;
  report: {
    converged: boolean;
    largestMarginError: number;
    trimmed: number;
    weights: { n: number; total: number; min: number; max: number; mean: number; designEffect: number; effectiveSize: number };
    margins: { levels: Record<string, string>; target: number; before: number; after: number }[];
  };
}
interface Weights {
  items: { individualId: string; baseWeight: number; weight: number }[];
  total: number;
  version: number;
}
interface Member {
  individualId: string;
  validTo: string | null;
  draw: { inclusionProbability: number; stratum: string };
}

const call = <T>(method: string, path: string, body?: unknown) => api<T>(app.urls.http, method, `/api/v1${path}`, body);

/** Every page of a collective's memberships, or of a scheme version's weights. */
async function all<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await call<{ items: T[] }>('GET', `${path}${path.includes('?') ? '&' : '?'}limit=1000&offset=${offset}`);
    items.push(...page.body.items);
    if (page.body.items.length < 1000) return items;
  }
}

/** The ground truth's count of customers at each level of a variable. */
function truthCounts(level: (cell: (typeof truth.quotaCells)[number]) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const cell of truth.quotaCells) counts.set(level(cell), (counts.get(level(cell)) ?? 0) + cell.individuals);
  return counts;
}

const raking = {
  name: 'Panel to the base',
  at,
  sample: { kind: 'panel', panelId: 'uneven' },
  margins: [
    { variables: ['age_band'], targets: { from: 'universe' } },
    { variables: ['household_size'], targets: { from: 'universe' } },
  ],
  method: 'rake',
  convergence: { maxit: 100, epsilon: 1e-10 },
};

beforeAll(async () => {
  app = await startApp(testConfig());
  base = generateCustomerBase({ size: 10_000, seed: 3, startsAt });
  truth = customerBaseTruth(base);
  dir = mkdtempSync(join(tmpdir(), 'parcours-schemes-'));
  await writeCustomerBase(base, dir);
  await pushCustomerBase(dir, new CustomerBaseClient({ apiUrl: app.urls.http, apiKey: adminKey(), logger: pino({ level: 'silent' }) }));
  // Sampling fractions from a few per cell to dozens, by région: base weights that matter.
  const regions = [...new Set(truth.quotaCells.map((c) => c.region))].sort();
  const given: Record<string, number> = {};
  for (const cell of truth.quotaCells) {
    const key = `region=${cell.region}|age_band=${cell.ageBand}`;
    given[key] = (given[key] ?? 0) + cell.individuals;
  }
  for (const key of Object.keys(given)) {
    const region = key.slice('region='.length, key.indexOf('|'));
    given[key] = Math.min(given[key]!, 2 + (regions.indexOf(region) % 4) * 6);
  }
  const drawn = await call('POST', '/panels', {
    id: 'uneven',
    name: 'Uneven panel',
    at,
    size: Object.values(given).reduce((a, b) => a + b, 0),
    seed: 11,
    design: { method: 'stratified', strata: ['region', 'age_band'], allocation: { given } },
  });
  expect(drawn.status).toBe(201);
}, 180_000);

afterAll(async () => {
  await app?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a weighting scheme, stored, versioned and run', () => {
  it('rakes the panel to the universe’s margins as of its date, and stores one weight per member', async () => {
    const created = await call<{ id: string; version: number; versions: { ranAt: string | null }[] }>('POST', '/weighting-schemes', {
      id: 'to-base',
      ...raking,
    });
    expect(created).toMatchObject({ status: 201, body: { id: 'to-base', version: 1, versions: [{ ranAt: null }] } });
    const members = (await all<Member>('/memberships?collectiveId=uneven')).filter((m) => m.validTo === null);
    const run = await call<Run>('POST', '/weighting-schemes/to-base/run', {});
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ version: 1, stored: true, size: members.length });
    const { report } = run.body;
    expect(report.converged).toBe(true);
    // Targets are the ground truth's counts; after weighting, every margin meets them.
    const expected = new Map<string, number>([
      ...[...truthCounts((c) => c.ageBand)].map(([level, n]) => [`age_band=${level}`, n] as const),
      ...[...truthCounts((c) => String(c.householdSize))].map(([level, n]) => [`household_size=${level}`, n] as const),
    ]);
    expect(report.margins).toHaveLength(expected.size);
    for (const cell of report.margins) {
      const [variable, level] = Object.entries(cell.levels)[0]!;
      expect(cell.target, `${variable} = ${level}`).toBe(expected.get(`${variable}=${level}`));
      expect(Math.abs(cell.after - cell.target)).toBeLessThan(1e-6 * cell.target);
    }
    expect(report.weights.total).toBeCloseTo(truth.individuals.total, 4);
    expect(report.weights.designEffect).toBeGreaterThan(1);
    const weights = await all<Weights['items'][number]>('/weighting-schemes/to-base/weights');
    expect(weights).toHaveLength(members.length);
    const probability = new Map(members.map((m) => [m.individualId, m.draw.inclusionProbability]));
    for (const w of weights) expect(w.baseWeight * probability.get(w.individualId)!).toBeCloseTo(1, 12);
    const stored = await call<Run>('GET', '/weighting-schemes/to-base/report?version=1');
    expect(stored.body.report).toEqual(report);
  });

  it('gives the weights R’s survey::rake gives from the ground truth', async () => {
    ensureRPackage('survey');
    const members = (await all<Member>('/memberships?collectiveId=uneven')).filter((m) => m.validTo === null);
    const weights = await all<Weights['items'][number]>('/weighting-schemes/to-base/weights');
    const index = new Map(Array.from({ length: base.customers.count }, (_, i) => [customerId(base.customers, i), i]));
    const ageLevels = [...truthCounts((c) => c.ageBand).keys()].sort();
    const sizes = [...truthCounts((c) => String(c.householdSize)).keys()].sort();
    const drawOf = new Map(members.map((m) => [m.individualId, m.draw]));
    const rows = weights.map((w) => {
      const draw = drawOf.get(w.individualId)!;
      const age = draw.stratum.split('|')[1]!.slice('age_band='.length);
      const size = String(base.customers.householdSize[index.get(w.individualId)!]);
      return [ageLevels.indexOf(age) + 1, sizes.indexOf(size) + 1, draw.inclusionProbability];
    });
    const doubles = (name: string, values: number[]) => writeFileSync(join(dir, name), new Uint8Array(Float64Array.from(values).buffer));
    doubles(
      'members.bin',
      [0, 1, 2].flatMap((j) => rows.map((row) => row[j]!)),
    );
    const ages = truthCounts((c) => c.ageBand);
    doubles('margin-age.bin', [...ageLevels.map((_, i) => i + 1), ...ageLevels.map((level) => ages.get(level)!)]);
    const households = truthCounts((c) => String(c.householdSize));
    doubles('margin-hh.bin', [...sizes.map((_, i) => i + 1), ...sizes.map((level) => households.get(level)!)]);
    doubles('settings.bin', [raking.convergence.maxit, raking.convergence.epsilon, ageLevels.length, sizes.length]);
    execFileSync('Rscript', [fileURLToPath(new URL('./weighting-scheme-reference.R', import.meta.url)), dir], { stdio: ['ignore', 'inherit', 'inherit'] });
    const reference = new Float64Array(new Uint8Array(readFileSync(join(dir, 'weights.bin'))).buffer);
    expect(reference.length).toBe(weights.length);
    let worst = 0;
    reference.forEach((r, k) => {
      worst = Math.max(worst, Math.abs(weights[k]!.weight - r) / r);
    });
    expect(worst, 'largest relative difference from R').toBeLessThanOrEqual(1e-9);
  });

  it('makes a new version on each change, keeping the earlier ones and their weights', async () => {
    const before = await all<Weights['items'][number]>('/weighting-schemes/to-base/weights?version=1');
    const changed = await call<{ version: number; versions: { version: number; ranAt: string | null }[] }>('PUT', '/weighting-schemes/to-base', {
      ...raking,
      method: 'linear',
      cap: 3,
      trimming: { strict: true },
    });
    expect(changed.body.version).toBe(2);
    expect(changed.body.versions.map((v) => [v.version, v.ranAt !== null])).toEqual([
      [1, true],
      [2, false],
    ]);
    const run = await call<Run>('POST', '/weighting-schemes/to-base/run', {});
    expect(run.body.version).toBe(2);
    expect(run.body.report.weights.max).toBeLessThanOrEqual(3 * run.body.report.weights.mean * (1 + 1e-12));
    expect(await all('/weighting-schemes/to-base/weights?version=1')).toEqual(before);
    const latest = await call<Weights>('GET', '/weighting-schemes/to-base/weights?limit=5');
    expect(latest.body).toMatchObject({ version: 2, total: before.length });
    expect((await call<{ scheme: { method: string } }>('GET', '/weighting-schemes/to-base?version=1')).body.scheme.method).toBe('rake');
  });

  it('refuses an infeasible scheme with its code, naming the level, and stores nothing; a check stores nothing either', async () => {
    const cells = [
      { levels: { age_band: '18-24' }, value: 100 },
      { levels: { age_band: '100+' }, value: 5 },
    ];
    const infeasible = { ...raking, margins: [{ variables: ['age_band'], targets: { from: 'file', cells } }] };
    expect((await call('POST', '/weighting-schemes', { id: 'impossible', ...infeasible })).status).toBe(201);
    const refused = await call<{ code: string; detail: string }>('POST', '/weighting-schemes/impossible/run', {});
    expect(refused).toMatchObject({ status: 422, body: { code: errorCodes.weightingUnknownLevel } });
    expect(refused.body.detail).toContain('age_band = 25-34');
    expect((await call<{ code: string }>('GET', '/weighting-schemes/impossible/report')).status).toBe(404);
    expect((await call('GET', '/weighting-schemes/impossible/weights')).status).toBe(404);
    const noOne = await call<{ code: string; detail: string }>('PUT', '/weighting-schemes/impossible', {
      ...raking,
      margins: [
        {
          variables: ['age_band'],
          targets: { from: 'file', cells: [...cells, ...['25-34', '35-44', '45-54', '55-64', '65+'].map((age_band) => ({ levels: { age_band }, value: 10 }))] },
        },
      ],
    });
    expect(noOne.status).toBe(200);
    const missing = await call<{ code: string; detail: string }>('POST', '/weighting-schemes/impossible/run', { dryRun: true });
    expect(missing).toMatchObject({ status: 422, body: { code: errorCodes.weightingMissingLevel } });
    expect(missing.body.detail).toContain('age_band = 100+');

    expect((await call('POST', '/weighting-schemes', { id: 'checked', ...raking })).status).toBe(201);
    const checked = await call<Run>('POST', '/weighting-schemes/checked/run', { dryRun: true });
    expect(checked.body.stored).toBe(false);
    expect(checked.body.report.converged).toBe(true);
    expect((await call('GET', '/weighting-schemes/checked/report')).status).toBe(404);
    expect((await call('POST', '/weighting-schemes', { id: 'checked', ...raking })).status).toBe(409);
  });

  it('parcours weights run|report|check: a scheme from a file run and stored, its report, a refusal naming the level', async () => {
    const cli = (...args: string[]) => runCli(['weights', ...args, '--api', app.urls.http, '--api-key', adminKey(), '--json'], { cwd: dir });
    writeFileSync(join(dir, 'scheme.json'), JSON.stringify({ ...raking, method: 'raking' }));
    const run = await cli('run', 'from-cli', '--file', 'scheme.json');
    expect(run.code, run.stderr).toBe(0);
    const ran = JSON.parse(run.stdout) as Run;
    expect(ran).toMatchObject({ version: 1, stored: true });
    const report = await cli('report', 'from-cli', '--scheme-version', '1');
    expect(JSON.parse(report.stdout)).toEqual(ran);
    const again = await cli('run', 'from-cli', '--file', 'scheme.json');
    expect(JSON.parse(again.stdout)).toMatchObject({ version: 2, stored: true });
    const checked = await cli('check', 'from-cli');
    expect(JSON.parse(checked.stdout)).toMatchObject({ version: 2, stored: false });
    // check --file stores the next version and checks it, storing no weights: the latest run stays version 2's.
    const fromFile = await cli('check', 'from-cli', '--file', 'scheme.json');
    expect(fromFile.stderr).toContain('scheme from-cli: version 3 stored');
    expect(JSON.parse(fromFile.stdout)).toMatchObject({ version: 3, stored: false });
    expect((await cli('report', 'from-cli', '--scheme-version', '3')).code).not.toBe(0);
    const refused = await cli('check', 'impossible');
    expect(oneLineFailure(refused, errorCodes.weightingMissingLevel)).toContain('age_band = 100+');
  });
});
