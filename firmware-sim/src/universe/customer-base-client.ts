import { type SourceCreate, type TraitImportReport, traitImportReportSchema } from '@parcours/contracts';
import { ApiClient, type RegistrarOptions } from '../registrar.js';

/**
 * What pushing a customer base needs of the Parcours API: declaring its sources, importing its subjects (the
 * registry's CSV import), its identities and each source's traits (CSV). Retries and error reports are the
 * registrar's.
 */

/** What a trait import report (the shared `traitImportReportSchema`) says that the ground truth predicts: its counts. */
export type TraitReportCounts = Pick<TraitImportReport, 'source' | 'rows' | 'matched'> & Record<'unmatched' | 'ambiguous' | 'conflicting', { count: number }>;

export interface CustomerBaseApi {
  createSource(source: SourceCreate): Promise<void>;
  importSubjects(csv: string, what: string): Promise<void>;
  importIdentities(csv: string, what: string): Promise<void>;
  importTraits(source: string, csv: string, what: string): Promise<TraitReportCounts>;
}

export class CustomerBaseClient implements CustomerBaseApi {
  private readonly api: ApiClient;

  constructor(options: RegistrarOptions) {
    this.api = new ApiClient(options);
  }

  async createSource(source: SourceCreate): Promise<void> {
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
    return traitImportReportSchema.parse(body);
  }
}
