import type { Database, Statement } from '../store/database.js';

/** Keys by kind (`crm_id`, `email_sha256`, …), one value of each kind per individual. */
export type Keys = Record<string, string>;

/** Who each external key value names, for the key types asked: several individuals may share one (a family's address). */
export type KeyIndex = Map<string, Map<string, string[]>>;

/** The external ids that identify each individual in the sources. */
export class IdentityTable {
  private readonly upsert: Statement<[string, string, string]>;

  constructor(private readonly db: Database) {
    this.upsert = db.prepare(
      'INSERT INTO identities (key_type, key_value, individual_id) VALUES (?, ?, ?) ON CONFLICT (individual_id, key_type) DO UPDATE SET key_value = excluded.key_value',
    );
  }

  keysOf(individualId: string): Keys {
    const rows = this.db
      .prepare<[string], { key_type: string; key_value: string }>('SELECT key_type, key_value FROM identities WHERE individual_id = ? ORDER BY key_type')
      .all(individualId);
    return Object.fromEntries(rows.map((r) => [r.key_type, r.key_value]));
  }

  /** Sets the kinds of key given; the individual's keys of other kinds stay. */
  setKeys(individualId: string, keys: Keys): void {
    for (const [type, value] of Object.entries(keys)) this.upsert.run(type, value, individualId);
  }

  /** The individual's keys become exactly these. */
  replaceKeys(individualId: string, keys: Keys): void {
    this.db.prepare('DELETE FROM identities WHERE individual_id = ?').run(individualId);
    this.setKeys(individualId, keys);
  }

  /** Every key of these types, in one read: an import then matches its rows without a query each. */
  index(keyTypes: readonly string[]): KeyIndex {
    const index: KeyIndex = new Map(keyTypes.map((type) => [type, new Map()]));
    const read = this.db.prepare<[string], [string, string]>('SELECT key_value, individual_id FROM identities WHERE key_type = ?').raw();
    for (const [type, byValue] of index) {
      for (const [value, individual] of read.iterate(type)) {
        const named = byValue.get(value);
        if (named) named.push(individual);
        else byValue.set(value, [individual]);
      }
    }
    return index;
  }
}
