import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolvePlace } from '@parcours/geography';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerBaseTruthSchema, generateCustomerBase, writeCustomerBase, type CustomerBaseTruth } from '../../src/index.js';

/**
 * The customer base's files are re-read here and imported by the rules of the shared formats, with identities
 * this test builds from identities.csv: the ground truth the generator tallied from what it planted must be
 * what these rules find.
 */

const size = 8_000;
const seed = 7;
const startsAt = Date.UTC(2026, 2, 2);
const world = ['anh', 'ben', 'chloe'];

type Row = Record<string, string>;

function parseCsv(text: string): Row[] {
  const [header, ...lines] = text.trimEnd().split('\n');
  const columns = header!.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    expect(cells).toHaveLength(columns.length);
    return Object.fromEntries(columns.map((c, i) => [c, cells[i]!]));
  });
}

let dir: string;
let truth: CustomerBaseTruth;
const files: Record<string, Row[]> = {};
let sources: { id: string; joinKeys: string[]; priority: number }[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'customer-base-'));
  await writeCustomerBase(generateCustomerBase({ size, seed, startsAt, worldIndividuals: world }), dir);
  for (const name of ['subjects', 'identities', 'crm', 'loyalty', 'web', 'attrition']) files[name] = parseCsv(await readFile(join(dir, `${name}.csv`), 'utf8'));
  sources = JSON.parse(await readFile(join(dir, 'sources.json'), 'utf8'));
  truth = customerBaseTruthSchema.parse(JSON.parse(await readFile(join(dir, 'ground-truth.json'), 'utf8')));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Individuals by key type and value, from identities.csv. */
function identityIndex(): Map<string, Set<string>> {
  const index = new Map<string, Set<string>>();
  for (const row of files.identities!)
    for (const [column, value] of Object.entries(row)) {
      if (column === 'individual_id' || value === '') continue;
      const key = `${column}=${value}`;
      index.set(key, (index.get(key) ?? new Set()).add(row.individual_id!));
    }
  return index;
}

/** The attributes a row stores: its place columns resolved as Parcours resolves them, the others as given. */
function attributesOf(row: Row, keyColumns: readonly string[]): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const [column, value] of Object.entries(row))
    if (value !== '' && !keyColumns.includes(column) && !['valid_from', 'postcode', 'commune_code'].includes(column)) attributes.set(column, value);
  if (row.postcode) {
    const result = resolvePlace({ postcode: row.postcode, communeCode: row.commune_code || null });
    if (!result.ok) throw new Error(result.message);
    attributes.set('postcode', result.place.postcode!);
    if (result.place.commune) attributes.set('commune', result.place.commune.code);
    attributes.set('departement', result.place.departement.code);
    attributes.set('region', result.place.region.code);
  }
  return attributes;
}

interface Held {
  from: number;
  value: string;
}

/** Imports crm → loyalty → web by the shared formats' rules; returns each report and what each source holds. */
function importOnce() {
  const identities = identityIndex();
  // source → individual|attribute → values with the date each holds from
  const held = new Map<string, Map<string, Held[]>>();
  const valueAt = (list: Held[] | undefined, at: number) =>
    list?.filter((h) => h.from <= at).reduce<Held | null>((best, h) => (best === null || h.from > best.from ? h : best), null)?.value;
  const reports = [...sources]
    .sort((a, b) => b.priority - a.priority)
    .map((source) => {
      const report = { source: source.id, rows: 0, matched: 0, unmatched: 0, ambiguous: 0, conflicting: 0 };
      const mine = new Map<string, Held[]>();
      held.set(source.id, mine);
      const higher = sources.filter((s) => s.priority > source.priority).map((s) => held.get(s.id)!);
      for (const row of files[source.id]!) {
        report.rows++;
        const named = new Set<string>();
        for (const key of source.joinKeys) if (row[key]) for (const id of identities.get(`${key}=${row[key]}`) ?? []) named.add(id);
        if (named.size === 0) report.unmatched++;
        else if (named.size > 1) report.ambiguous++;
        if (named.size !== 1) continue;
        report.matched++;
        const [individual] = named;
        const at = Date.parse(row.valid_from!);
        let conflicting = false;
        for (const [attribute, value] of attributesOf(row, source.joinKeys)) {
          const key = `${individual}|${attribute}`;
          if (higher.some((h) => (valueAt(h.get(key), at) ?? value) !== value)) conflicting = true;
          mine.set(key, [...(mine.get(key) ?? []), { from: at, value }]);
        }
        if (conflicting) report.conflicting++;
      }
      return report;
    });
  return { reports, crm: held.get('crm')! };
}

let imported: ReturnType<typeof importOnce> | null = null;
const importAll = () => (imported ??= importOnce());

describe('the customer base', () => {
  it('is what its seed makes it', async () => {
    const again = await mkdtemp(join(tmpdir(), 'customer-base-'));
    const other = await mkdtemp(join(tmpdir(), 'customer-base-'));
    try {
      await writeCustomerBase(generateCustomerBase({ size, seed, startsAt, worldIndividuals: world }), again);
      await writeCustomerBase(generateCustomerBase({ size, seed: seed + 1, startsAt, worldIndividuals: world }), other);
      const digest = async (d: string, file: string) =>
        createHash('sha256')
          .update(await readFile(join(d, file)))
          .digest('hex');
      for (const file of ['identities.csv', 'crm.csv', 'loyalty.csv', 'web.csv', 'attrition.csv', 'ground-truth.json']) {
        expect(await digest(again, file), file).toBe(await digest(dir, file));
        expect(await digest(other, file), file).not.toBe(await digest(dir, file));
      }
    } finally {
      await rm(again, { recursive: true, force: true });
      await rm(other, { recursive: true, force: true });
    }
  });

  it('has its size, the world’s persons among its customers but not among the subjects to import', () => {
    expect(files.identities).toHaveLength(size);
    expect(files.identities!.slice(0, world.length).map((r) => r.individual_id)).toEqual(world);
    expect(files.subjects).toHaveLength(size - world.length);
    expect(new Set(files.subjects!.map((s) => s.id)).size).toBe(size - world.length);
    expect(files.subjects!.every((s) => s.kind === 'individual' && s.type === 'person' && /^cust-\d{6}$/.test(s.id!))).toBe(true);
    expect(files.web).toHaveLength(Math.round(size / 3));
    expect(truth.individuals).toEqual({ total: size, fromWorld: world.length });
  });

  it('gives its keys in the planned shares', () => {
    const ids = files.identities!;
    const share = (column: string) => ids.filter((r) => r[column] !== '').length / size;
    expect(share('crm_id')).toBe(1);
    expect(share('email_sha256')).toBeCloseTo(0.88, 1);
    expect(share('loyalty_card')).toBeCloseTo(0.35, 1);
    expect(share('app_install_id')).toBeGreaterThan(0.15);
    expect(share('app_install_id')).toBeLessThan(0.35);
    const holders = new Map<string, number>();
    for (const r of ids) if (r.email_sha256) holders.set(r.email_sha256, (holders.get(r.email_sha256) ?? 0) + 1);
    const shared = [...holders.values()].filter((n) => n > 1);
    expect(shared.every((n) => n === 2)).toBe(true);
    expect(shared.length / size).toBeGreaterThan(0.02);
    expect(shared.length).toBe(truth.identities.sharedEmails);
  });

  it('reports what an import by the shared formats’ rules finds, row class by row class', () => {
    const { reports } = importAll();
    expect(
      truth.imports.map(({ source, rows, matched, unmatched, ambiguous, conflicting }) => ({ source, rows, matched, unmatched, ambiguous, conflicting })),
    ).toEqual(reports);
    const web = reports.find((r) => r.source === 'web')!;
    expect((web.matched + web.ambiguous) / web.rows).toBeCloseTo(0.7, 2);
    expect(web.conflicting / web.rows).toBeCloseTo(0.05, 2);
    expect(web.ambiguous).toBeGreaterThan(0);
    const loyalty = reports.find((r) => r.source === 'loyalty')!;
    expect(loyalty.conflicting / loyalty.matched).toBeGreaterThan(0.02);
    expect(loyalty.unmatched).toBeGreaterThan(0);
  });

  it('lists every move the CRM file holds, to another région', () => {
    const { crm } = importAll();
    const moves: CustomerBaseTruth['moves'] = [];
    for (const [key, values] of crm) {
      if (values.length < 2) continue;
      const [individualId, attribute] = key.split('|') as [string, CustomerBaseTruth['moves'][number]['attribute']];
      const [before, after] = [...values].sort((a, b) => a.from - b.from);
      if (before!.value !== after!.value) moves.push({ individualId, attribute, before: before!.value, after: after!.value, at: after!.from });
    }
    const order = (list: CustomerBaseTruth['moves']) =>
      list.filter((m) => m.before !== null).sort((a, b) => a.individualId.localeCompare(b.individualId) || a.attribute.localeCompare(b.attribute));
    expect(order(truth.moves)).toEqual(order(moves));
    const movers = new Set(truth.moves.map((m) => m.individualId));
    expect(truth.moves.filter((m) => m.attribute === 'region')).toHaveLength(movers.size);
    expect(movers.size / size).toBeCloseTo(0.03, 1);
  });

  it('counts its quota cells from the CRM’s latest place and the customers’ bands', () => {
    const { crm } = importAll();
    const latest = (key: string) => [...(crm.get(key) ?? [])].sort((a, b) => b.from - a.from)[0]?.value;
    const cells = new Map<string, number>();
    for (const { individual_id: id } of files.identities!) {
      const cell = `${latest(`${id}|region`)}|${latest(`${id}|household_size`)}|${latest(`${id}|age_band`)}`;
      cells.set(cell, (cells.get(cell) ?? 0) + 1);
    }
    expect(new Map(truth.quotaCells.map((c) => [`${c.region}|${c.householdSize}|${c.ageBand}`, c.individuals]))).toEqual(cells);
    expect(new Set(truth.quotaCells.map((c) => c.region)).size).toBe(13);
    const sizes = truth.quotaCells.map((c) => c.individuals);
    expect(Math.max(...sizes)).toBeGreaterThan(10 * Math.min(...sizes));
  });

  it('plans opt-outs concentrated in one quota cell', () => {
    const { crm } = importAll();
    const latest = (key: string) => [...(crm.get(key) ?? [])].sort((a, b) => b.from - a.from)[0]?.value;
    expect(files.attrition!.map((o) => ({ individualId: o.individual_id, at: Date.parse(o.at!) }))).toEqual(truth.attrition.optOuts);
    expect(files.attrition!.every((o) => o.purpose === 'panel' && Date.parse(o.at!) >= startsAt)).toBe(true);
    const optedOut = new Set(files.attrition!.map((o) => o.individual_id));
    const { region, ageBand } = truth.attrition.cell;
    const rate = (inCell: boolean) => {
      const members = files.identities!.filter(
        (r) => (latest(`${r.individual_id}|region`) === region && latest(`${r.individual_id}|age_band`) === ageBand) === inCell,
      );
      return members.filter((r) => optedOut.has(r.individual_id!)).length / members.length;
    };
    expect(rate(true)).toBeGreaterThan(5 * rate(false));
  });
});
