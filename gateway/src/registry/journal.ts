import type { RegistryChange } from '@parcours/contracts';
import { type Database, statementCache } from '../store/database.js';

interface ChangeRow {
  seq: number;
  at: number;
  entity: RegistryChange['entity'];
  entity_id: string;
  action: RegistryChange['action'];
  before: string | null;
  after: string | null;
}

/** The registry's change history: every create, update and delete with its time and both states. */
export class RegistryJournal {
  private readonly prepare: Database['prepare'];

  constructor(db: Database) {
    this.prepare = statementCache(db);
  }

  /** Records inside the caller's transaction. */
  record(entity: RegistryChange['entity'], entityId: string, action: RegistryChange['action'], before: object | null, after: object | null): void {
    this.prepare('INSERT INTO registry_changes (at, entity, entity_id, action, before, after) VALUES (?, ?, ?, ?, ?, ?)').run(
      Date.now(),
      entity,
      entityId,
      action,
      before && JSON.stringify(before),
      after && JSON.stringify(after),
    );
  }

  list(filter: { afterSeq: number; entity?: RegistryChange['entity'] | undefined; entityId?: string | undefined; limit: number }): RegistryChange[] {
    return this.prepare<[object], ChangeRow>(
      `SELECT * FROM registry_changes WHERE seq > @after AND (@entity IS NULL OR entity = @entity) AND (@id IS NULL OR entity_id = @id)
         ORDER BY seq LIMIT @limit`,
    )
      .all({ after: filter.afterSeq, entity: filter.entity ?? null, id: filter.entityId ?? null, limit: filter.limit })
      .map((r) => ({
        seq: r.seq,
        at: r.at,
        entity: r.entity,
        entityId: r.entity_id,
        action: r.action,
        before: r.before && JSON.parse(r.before),
        after: r.after && JSON.parse(r.after),
      }));
  }
}
