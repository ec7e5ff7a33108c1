import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SourceCreate, sourceSchema } from '@parcours/contracts';
import { z } from 'zod';
import type { CustomerBaseApi, TraitReportCounts } from './customer-base-client.js';
import { customerBaseTruthSchema, type ImportTruth } from './customer-base-truth.js';
import { csvChunks } from './csv.js';
import { customerBaseFiles } from './write-customer-base.js';

/**
 * Pushes a written customer base to Parcours in the order its imports need: the sources, the subjects (the
 * individuals must exist), the identities, then each source's traits from the most trusted to the least, so
 * that each import meets the values it may conflict with. Large files go in chunks, one all-or-nothing import
 * each; the chunks' trait reports are summed and compared with the ground truth.
 */

export interface PushChunks {
  subjects: number;
  identities: number;
  traits: number;
}

/** Rows per request: the registry's import takes a few thousand a transaction, the profile imports more. */
export const defaultPushChunks: PushChunks = { subjects: 5000, identities: 50_000, traits: 50_000 };

export const reportedCounts = ['rows', 'matched', 'unmatched', 'ambiguous', 'conflicting'] as const;
export type ReportedCounts = Record<(typeof reportedCounts)[number], number>;

export interface TraitImportCheck {
  source: string;
  expected: ReportedCounts;
  reported: ReportedCounts;
  /** The counts that differ from the ground truth's. */
  differing: (typeof reportedCounts)[number][];
}

const countsOf = (report: TraitReportCounts): ReportedCounts => ({
  rows: report.rows,
  matched: report.matched,
  unmatched: report.unmatched.count,
  ambiguous: report.ambiguous.count,
  conflicting: report.conflicting.count,
});

/** A source's trait import, the reports of its chunks summed, against what the ground truth expects. */
export function checkTraitImport(expected: ImportTruth, reports: readonly TraitReportCounts[]): TraitImportCheck {
  const reported: ReportedCounts = { rows: 0, matched: 0, unmatched: 0, ambiguous: 0, conflicting: 0 };
  for (const report of reports) for (const [name, value] of Object.entries(countsOf(report))) reported[name as keyof ReportedCounts] += value;
  const want = Object.fromEntries(reportedCounts.map((name) => [name, expected[name]])) as ReportedCounts;
  return { source: expected.source, expected: want, reported, differing: reportedCounts.filter((name) => want[name] !== reported[name]) };
}

/** One line per source: `web: 100000 rows, matched 68500, unmatched 30000, ambiguous 1500, conflicting 5000 — as expected`. */
export function describeCheck(check: TraitImportCheck): string {
  const counts = reportedCounts.map((name) => {
    const reported = `${name === 'rows' ? '' : `${name} `}${check.reported[name]}${name === 'rows' ? ' rows' : ''}`;
    return check.differing.includes(name) ? `${reported} (expected ${check.expected[name]})` : reported;
  });
  return `${check.source}: ${counts.join(', ')} — ${check.differing.length === 0 ? 'as expected' : 'DIFFERS from the ground truth'}`;
}

export async function pushCustomerBase(dir: string, api: CustomerBaseApi, chunks: PushChunks = defaultPushChunks): Promise<TraitImportCheck[]> {
  const text = (file: string) => readFile(join(dir, file), 'utf8');
  const truth = customerBaseTruthSchema.parse(JSON.parse(await text(customerBaseFiles.groundTruth)));
  // Checked against the shared schema, sent as declared: the API takes the freshness as text (`7d`).
  const sources: SourceCreate[] = JSON.parse(await text(customerBaseFiles.sources));
  z.array(sourceSchema).parse(sources);
  for (const source of sources) await api.createSource(source);
  const inChunks = async (file: string, rows: number, send: (csv: string, what: string) => Promise<unknown>) => {
    let first = 1;
    for (const csv of csvChunks(await text(file), rows)) {
      const count = csv.split('\n').length - 2;
      await send(csv, `${file} rows ${first}–${first + count - 1}`);
      first += count;
    }
  };
  await inChunks(customerBaseFiles.subjects, chunks.subjects, (csv, what) => api.importSubjects(csv, what));
  await inChunks(customerBaseFiles.identities, chunks.identities, (csv, what) => api.importIdentities(csv, what));
  const checks: TraitImportCheck[] = [];
  for (const expected of truth.imports) {
    const reports: TraitReportCounts[] = [];
    await inChunks(expected.file, chunks.traits, async (csv, what) => reports.push(await api.importTraits(expected.source, csv, what)));
    checks.push(checkTraitImport(expected, reports));
  }
  return checks;
}
