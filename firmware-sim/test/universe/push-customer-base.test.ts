import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SourceCreate } from '@parcours/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CustomerBaseApi,
  type CustomerBaseTruth,
  checkTraitImport,
  describeCheck,
  generateCustomerBase,
  pushCustomerBase,
  type TraitReportCounts,
  writeCustomerBase,
} from '../../src/index.js';

/**
 * The push's order, chunks and checks, against a recorder of the calls it makes: the profile routes it calls
 * are not part of this package, so what the API answers is the recorder's (a trait report from the planted
 * truth, or one that differs).
 */

const size = 3000;
let dir: string;
let truth: CustomerBaseTruth;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'customer-base-push-'));
  truth = await writeCustomerBase(generateCustomerBase({ size, seed: 3, startsAt: Date.UTC(2026, 2, 2), worldIndividuals: ['anh'] }), dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Records the calls; answers each trait chunk with counts split evenly from the ground truth's, `skew` added to matched. */
function recorder(skew = 0) {
  const calls: string[] = [];
  const records: Record<string, number> = {};
  const rowsOf = (csv: string) => csv.trimEnd().split('\n').length - 1;
  const api: CustomerBaseApi = {
    createSource: async (source: SourceCreate) => void calls.push(`source ${source.id}`),
    importSubjects: async (csv) => {
      calls.push('subjects');
      records.subjects = (records.subjects ?? 0) + rowsOf(csv);
    },
    importIdentities: async (csv) => {
      calls.push('identities');
      records.identities = (records.identities ?? 0) + rowsOf(csv);
    },
    importTraits: async (source, csv): Promise<TraitReportCounts> => {
      calls.push(`traits ${source}`);
      const rows = rowsOf(csv);
      records[source] = (records[source] ?? 0) + rows;
      const expected = truth.imports.find((i) => i.source === source)!;
      // The first chunk carries the classes' counts, the others only rows and matched: the sum is what counts.
      const first = records[source] === rows;
      return {
        source,
        rows,
        matched: rows - (first ? expected.unmatched + expected.ambiguous : 0) + (first ? skew : 0),
        unmatched: { count: first ? expected.unmatched : 0 },
        ambiguous: { count: first ? expected.ambiguous : 0 },
        conflicting: { count: first ? expected.conflicting : 0 },
      };
    },
  };
  return { api, calls, records };
}

describe('pushing a customer base', () => {
  it('declares the sources, then imports subjects, identities and traits crm → loyalty → web, every row once', async () => {
    const { api, calls, records } = recorder();
    const checks = await pushCustomerBase(dir, api, { subjects: 1000, identities: 1000, traits: 1000 });
    const phases = calls.filter((call, i) => call !== calls[i - 1]);
    expect(phases).toEqual(['source crm', 'source loyalty', 'source web', 'subjects', 'identities', 'traits crm', 'traits loyalty', 'traits web']);
    expect(calls.filter((c) => c === 'subjects')).toHaveLength(Math.ceil((size - 1) / 1000));
    expect(records).toEqual({
      subjects: size - 1,
      identities: size,
      ...Object.fromEntries(truth.imports.map((i) => [i.source, i.rows])),
    });
    expect(checks.map((c) => c.differing)).toEqual([[], [], []]);
    expect(describeCheck(checks[2]!)).toMatch(/^web: \d+ rows, matched \d+, unmatched \d+, ambiguous \d+, conflicting \d+ — as expected$/);
  });

  it('says which counts differ from the ground truth', async () => {
    const { api } = recorder(1);
    const checks = await pushCustomerBase(dir, api);
    expect(checks.map((c) => c.differing)).toEqual([['matched'], ['matched'], ['matched']]);
    const web = truth.imports[2]!;
    expect(describeCheck(checks[2]!)).toContain(`matched ${web.matched + 1} (expected ${web.matched})`);
    expect(describeCheck(checks[2]!)).toMatch(/DIFFERS/);
  });

  it('sums the reports of a source’s chunks', () => {
    const expected = truth.imports[1]!;
    const report = (rows: number, matched: number, unmatched: number): TraitReportCounts => ({
      source: expected.source,
      rows,
      matched,
      unmatched: { count: unmatched },
      ambiguous: { count: 0 },
      conflicting: { count: 0 },
    });
    const check = checkTraitImport(expected, [report(10, 9, 1), report(5, 5, 0)]);
    expect(check.reported).toEqual({ rows: 15, matched: 14, unmatched: 1, ambiguous: 0, conflicting: 0 });
  });
});
