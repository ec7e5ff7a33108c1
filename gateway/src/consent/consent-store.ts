import { type Consent, type ConsentPurpose, errorCodes, ParcoursError } from '@parcours/contracts';
import type { RegistryStore } from '../registry/registry-store.js';
import type { Database } from '../store/database.js';

/** The collectives a purpose's consent covers: an opt-out of `panel` ends these memberships at once. */
export const collectiveTypesOf: Record<ConsentPurpose, readonly string[]> = { panel: ['panel', 'community'], surveys: [] };

interface ConsentRow {
  individual_id: string;
  purpose: ConsentPurpose;
  granted: number;
  at: number;
}

const fromRow = (r: ConsentRow): Consent => ({ individualId: r.individual_id, purpose: r.purpose, granted: r.granted === 1, at: r.at });

/**
 * Consent per purpose, kept as a history so that it can be read as of any date. Nobody has opted out until
 * they say so; an opt-out ends the person's memberships of the purpose's collectives in the same
 * transaction, and nothing that draws or replaces members may bring them back while it stands.
 */
export class ConsentStore {
  constructor(
    private readonly db: Database,
    private readonly registry: RegistryStore,
  ) {}

  record(individualId: string, purpose: ConsentPurpose, granted: boolean, at: number, now = Date.now()): Consent {
    const subject = this.registry.getSubject(individualId);
    if (!subject) throw new ParcoursError(errorCodes.notFound, `subject ${individualId} does not exist`);
    if (subject.kind !== 'individual') throw new ParcoursError(errorCodes.notIndividual, `subject ${individualId} is not an individual`);
    this.registry.batch(() => {
      this.db
        .prepare('INSERT INTO consents (individual_id, purpose, granted, at, recorded_at) VALUES (?, ?, ?, ?, ?)')
        .run(individualId, purpose, granted ? 1 : 0, at, now);
      if (!granted) this.endMemberships(individualId, purpose, at);
    });
    return { individualId, purpose, granted, at };
  }

  /** Every change, oldest first. */
  history(individualId: string): Consent[] {
    return this.db
      .prepare<[string], ConsentRow>('SELECT individual_id, purpose, granted, at FROM consents WHERE individual_id = ? ORDER BY at, rowid')
      .all(individualId)
      .map(fromRow);
  }

  /** Whether the individual's last word on the purpose, as of `at`, is an opt-out. */
  optedOut(individualId: string, purpose: ConsentPurpose, at: number): boolean {
    const row = this.db
      .prepare<[string, string, number], { granted: number }>(
        'SELECT granted FROM consents WHERE individual_id = ? AND purpose = ? AND at <= ? ORDER BY at DESC, rowid DESC LIMIT 1',
      )
      .get(individualId, purpose, at);
    return row?.granted === 0;
  }

  /** Everyone whose last word on the purpose, as of `at`, is an opt-out. */
  optedOutAll(purpose: ConsentPurpose, at: number): Set<string> {
    const rows = this.db
      .prepare<[string, number], { individual_id: string; granted: number }>(
        'SELECT individual_id, granted FROM consents WHERE purpose = ? AND at <= ? ORDER BY individual_id, at, rowid',
      )
      .all(purpose, at);
    const last = new Map<string, number>();
    for (const row of rows) last.set(row.individual_id, row.granted);
    return new Set([...last].filter(([, granted]) => granted === 0).map(([id]) => id));
  }

  private endMemberships(individualId: string, purpose: ConsentPurpose, at: number): void {
    const types = collectiveTypesOf[purpose];
    if (types.length === 0) return;
    for (const m of this.registry.listMemberships({ individualId, limit: -1, offset: 0 })) {
      if (m.validTo !== null && m.validTo <= at) continue;
      const collective = this.registry.getSubject(m.collectiveId);
      if (!collective || !types.includes(collective.type)) continue;
      // A membership that had not started yet never happens.
      if (m.validFrom >= at) this.registry.deleteMembership(m.id);
      else this.registry.updateMembership(m.id, { validTo: at });
    }
  }
}
