import { z } from 'zod';
import { ApiClient, type RegistrarOptions } from '../registrar.js';
import type { SourceDeclaration } from './sources.js';

/**
 * What pushing a customer base needs of the Parcours API: declaring its sources, importing its subjects (the
 * registry's CSV import), its identities and each source's traits (CSV). Retries and error reports are the
 * registrar's.
 */

/** The counts of a trait import report (the shared formats' `traitImportReportSchema`) that the ground truth predicts. */
export const traitReportCountsSchema = z.object({
  source: z.string(),
  rows: z.number().int(),
  matched: z.number().int(),
  unmatched: z.object({ count: z.number().int() }),
  ambiguous: z.object({ count: z.number().int() }),
  conflicting: z.object({ count: z.number().int() }),
});
export type TraitReportCounts = z.infer<typeof traitReportCountsSchema>;

export interface CustomerBaseApi {
  createSource(source: SourceDeclaration): Promise<void>;
  importSubjects(csv: string, what: string): Promise<void>;
  importIdentities(csv: string, what: string): Promise<void>;
  importTraits(source: string, csv: string, what: string): Promise<TraitReportCounts>;
}

export class CustomerBaseClient implements CustomerBaseApi {
  private readonly api: ApiClient;

  constructor(options: RegistrarOptions) {
    this.api = new ApiClient(options);
  }

  async createSource(source: SourceDeclaration): Promise<void> {
    await this.api.post('/api/v1/sources', source, `source ${source.id}`);
  }

  async importSubjects(csv: string, what: string): Promise<void> {
    await this.api.post('/api/v1/import/subjects', csv, what);
  }

  async importIdentities(csv: string, what: string): Promise<void> {
    await this.api.post('/api/v1/import/identities', csv, what);
  }

  async importTraits(source: string, csv: string, what: string): Promise<TraitReportCounts> {
    const { body } = await this.api.post(`/api/v1/import/traits?source=${encodeURIComponent(source)}`, csv, what);
    return traitReportCountsSchema.parse(body);
  }
}
