import {
  emailKeyType,
  errorCodes,
  ParcoursError,
  ParcoursInputError,
  type AttributeValue,
  type IdentityImportResult,
  type Source,
  type SourcePatch,
  type SourceView,
  type SubjectAttributes,
  type TraitImportReport,
} from '@parcours/contracts';
import type { Created, RegistryStore } from '../registry/registry-store.js';
import type { Database } from '../store/database.js';
import { attributesAt, winnersAt } from './attribute-reads.js';
import { storedKey } from './external-keys.js';
import { csvIdentityRows, jsonIdentityRows } from './identity-rows.js';
import { IdentityTable, type Keys } from './identity-table.js';
import { SourceTable } from './source-table.js';
import { writeTraits } from './trait-import.js';
import { csvTraitRows, jsonTraitRows, type TraitColumns, type TraitRow } from './trait-rows.js';

/** A trait import's body: a CSV file's text, or a JSON array of flat objects. */
export type TraitInput = { csv: string } | { json: readonly unknown[] };
/** An identity import's body: a CSV file's text, or a JSON array of identities. */
export type IdentityInput = { csv: string } | { json: readonly unknown[] };

/**
 * Customer profiles from several sources (docs/profiles.md): the sources and their trust, the external
 * keys that identify individuals in them, and the attribute values they give, each with its source and
 * the date it holds from. Imports are all-or-nothing; reads resolve, as of any date, which source wins.
 */
export class ProfileStore {
  private readonly sources: SourceTable;
  private readonly identities: IdentityTable;

  constructor(
    private readonly db: Database,
    private readonly registry: RegistryStore,
    private readonly now: () => number = Date.now,
  ) {
    this.sources = new SourceTable(db);
    this.identities = new IdentityTable(db);
  }

  // Sources

  /** Idempotent by id: the same source again is no change; a different one under its id is a conflict. */
  createSource(source: Source): Created<SourceView> {
    const { record, created } = this.sources.create(source);
    return { record: this.sources.view(record.id, this.now())!, created };
  }

  listSources(): SourceView[] {
    return this.sources.views(this.now());
  }

  /** The source with its latest import and whether it is overdue (its freshness), or null. */
  getSource(id: string): SourceView | null {
    return this.sources.view(id, this.now());
  }

  updateSource(id: string, patch: SourcePatch): SourceView {
    this.sources.update(id, patch);
    return this.sources.view(id, this.now())!;
  }

  /** Each source's latest trait import and whether it is older than its expected freshness allows. */
  freshness(): { source: string; lastImportAt: number | null; expectedFreshness: number | null; overdue: boolean }[] {
    return this.listSources().map((s) => ({ source: s.id, lastImportAt: s.lastImportAt, expectedFreshness: s.expectedFreshness, overdue: s.overdue }));
  }

  // Identities

  getIdentity(individualId: string): { individualId: string; keys: Keys } {
    this.requireIndividual(individualId);
    return { individualId, keys: this.identities.keysOf(individualId) };
  }

  /** The individual's keys become exactly these (an address hashed). */
  setIdentity(individualId: string, keys: Keys): { individualId: string; keys: Keys } {
    this.requireIndividual(individualId);
    const stored = this.storedKeys(keys, 'keys');
    if ('problems' in stored) throw new ParcoursInputError('the keys are not valid', stored.problems);
    this.db.transaction(() => this.identities.replaceKeys(individualId, stored.keys))();
    return this.getIdentity(individualId);
  }

  /** Sets each row's keys (other kinds of key of its individual stay), all rows or none. */
  importIdentities(input: IdentityInput): IdentityImportResult {
    const rows = 'csv' in input ? csvIdentityRows(input.csv) : jsonIdentityRows(input.json);
    const individuals = new Set(this.registry.listSubjects({ kind: 'individual', limit: -1, offset: 0 }).map((s) => s.id));
    const problems: { path: string; message: string }[] = [];
    const ready: { individualId: string; keys: Keys }[] = [];
    for (const row of rows) {
      if ('problem' in row) {
        problems.push({ path: row.where, message: row.problem });
        continue;
      }
      const stored = this.storedKeys(row.keys, row.where);
      if (!individuals.has(row.individualId)) {
        const subject = this.registry.getSubject(row.individualId);
        problems.push({
          path: row.where,
          message: subject
            ? `${errorCodes.notIndividual}: subject ${row.individualId} is not an individual`
            : `${errorCodes.notFound}: individual ${row.individualId} does not exist`,
        });
      } else if ('problems' in stored) problems.push(...stored.problems);
      else ready.push({ ...row, keys: stored.keys });
    }
    if (problems.length > 0) throw new ParcoursInputError(`${problems.length} of ${rows.length} rows cannot be imported; nothing was imported`, problems);
    this.db.transaction(() => {
      for (const row of ready) this.identities.setKeys(row.individualId, row.keys);
    })();
    return { individuals: new Set(ready.map((r) => r.individualId)).size, keys: ready.reduce((n, r) => n + Object.keys(r.keys).length, 0) };
  }

  // Traits

  /**
   * Imports a source's trait file all-or-nothing: a malformed row refuses the whole import, every such row
   * named; rows that match nobody, or several people, are reported and not stored. `validFrom` is the date
   * of rows without a `valid_from` (default: now).
   */
  importTraits(sourceId: string, input: TraitInput, validFrom?: number): TraitImportReport {
    const source = this.sources.require(sourceId);
    const importedAt = this.now();
    const columns: TraitColumns = {
      joinKeys: source.joinKeys,
      otherKeyTypes: new Set(this.sources.list().flatMap((s) => s.joinKeys)),
    };
    const rows: TraitRow[] =
      'csv' in input ? csvTraitRows(input.csv, columns, validFrom ?? importedAt) : jsonTraitRows(input.json, columns, validFrom ?? importedAt);
    const keys = this.identities.index(source.joinKeys);
    const ranks = this.sources.ranks();
    return this.db.transaction(() => {
      const report = writeTraits({ db: this.db, source, rows, keys, ranks, importedAt });
      this.sources.markImported(source.id, importedAt);
      return report;
    })();
  }

  // Reads

  /** The subject's attributes at `at`, each with the source that gives it, and those it overrides. */
  subjectAttributes(subjectId: string, at: number): SubjectAttributes {
    if (!this.registry.getSubject(subjectId)) throw new ParcoursError(errorCodes.notFound, `subject ${subjectId} does not exist`);
    return { subjectId, at, attributes: attributesAt(this.db, this.sources.ranks(), subjectId, at) };
  }

  /**
   * Every individual's winning attribute values at `at`, in one pass (individuals without any are absent):
   * of the attributes named, or of all when none are.
   */
  resolvedAttributes(at: number, names?: readonly string[]): Map<string, Record<string, AttributeValue>> {
    return winnersAt(this.db, this.sources.ranks(), at, names);
  }

  private requireIndividual(id: string): void {
    const subject = this.registry.getSubject(id);
    if (!subject) throw new ParcoursError(errorCodes.notFound, `individual ${id} does not exist`);
    if (subject.kind !== 'individual') throw new ParcoursError(errorCodes.notIndividual, `subject ${id} is not an individual`);
  }

  /** Keys as stored: an address hashed; `email` and `email_sha256` both given must agree. */
  private storedKeys(keys: Keys, where: string): { keys: Keys } | { problems: { path: string; message: string }[] } {
    const stored: Keys = {};
    const problems: string[] = [];
    for (const [type, value] of Object.entries(keys)) {
      const key = storedKey(type, value.trim());
      if ('problem' in key) problems.push(key.problem);
      else if (stored[key.type] !== undefined && stored[key.type] !== key.value) problems.push(`email and ${emailKeyType} name different addresses`);
      else stored[key.type] = key.value;
    }
    return problems.length > 0 ? { problems: [{ path: where, message: problems.join('; ') }] } : { keys: stored };
  }
}
