import { isDeepStrictEqual } from 'node:util';
import { errorCodes, ParcoursError, type Source, type SourcePatch, type SourceView } from '@parcours/contracts';
import type { Created } from '../registry/registry-store.js';
import type { Database } from '../store/database.js';

interface SourceRow {
  id: string;
  kind: Source['kind'];
  name: string;
  join_keys: string;
  priority: number;
  expected_freshness: number | null;
  last_import_at: number | null;
}

const fromRow = (r: SourceRow): Source => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  joinKeys: JSON.parse(r.join_keys) as string[],
  priority: r.priority,
  expectedFreshness: r.expected_freshness,
});

/** The sources that give attribute values: their trust (priority), the keys they join on, and when they were last imported. */
export class SourceTable {
  constructor(private readonly db: Database) {}

  /** Idempotent by id: the same source again is no change; a different one under its id is a conflict. */
  create(source: Source): Created<Source> {
    const existing = this.get(source.id);
    if (existing) {
      if (isDeepStrictEqual(existing, source)) return { record: existing, created: false };
      throw new ParcoursError(errorCodes.conflict, `a different source with id ${source.id} already exists`);
    }
    this.db
      .prepare('INSERT INTO sources (id, kind, name, join_keys, priority, expected_freshness) VALUES (?, ?, ?, ?, ?, ?)')
      .run(source.id, source.kind, source.name, JSON.stringify(source.joinKeys), source.priority, source.expectedFreshness);
    return { record: source, created: true };
  }

  get(id: string): Source | null {
    const row = this.row(id);
    return row ? fromRow(row) : null;
  }

  require(id: string): Source {
    const source = this.get(id);
    if (!source) throw new ParcoursError(errorCodes.notFound, `source ${id} does not exist`);
    return source;
  }

  list(): Source[] {
    return this.rows().map(fromRow);
  }

  update(id: string, patch: SourcePatch): Source {
    const before = this.require(id);
    const after: Source = {
      ...before,
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(patch.priority === undefined ? {} : { priority: patch.priority }),
      ...(patch.expectedFreshness === undefined ? {} : { expectedFreshness: patch.expectedFreshness }),
    };
    this.db
      .prepare('UPDATE sources SET name = ?, priority = ?, expected_freshness = ? WHERE id = ?')
      .run(after.name, after.priority, after.expectedFreshness, id);
    return after;
  }

  markImported(id: string, at: number): void {
    this.db.prepare('UPDATE sources SET last_import_at = ? WHERE id = ?').run(at, id);
  }

  /** A source as the API shows it: with its latest import, and whether that is older than it should be at `now`. */
  view(id: string, now: number): SourceView | null {
    const row = this.row(id);
    return row ? viewOf(row, now) : null;
  }

  views(now: number): SourceView[] {
    return this.rows().map((row) => viewOf(row, now));
  }

  /**
   * Each source's rank, 0 the most trusted: by priority, then (for equal priorities, so that a winner is
   * always the same one) by id.
   */
  ranks(): Map<string, number> {
    const sorted = this.list().sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : 1));
    return new Map(sorted.map((source, rank) => [source.id, rank]));
  }

  private row(id: string): SourceRow | undefined {
    return this.db.prepare<[string], SourceRow>('SELECT * FROM sources WHERE id = ?').get(id);
  }

  private rows(): SourceRow[] {
    return this.db.prepare<[], SourceRow>('SELECT * FROM sources ORDER BY id').all();
  }
}

function viewOf(row: SourceRow, now: number): SourceView {
  const freshness = row.expected_freshness;
  const overdue = freshness !== null && (row.last_import_at === null || now - row.last_import_at > freshness);
  return { ...fromRow(row), lastImportAt: row.last_import_at, overdue };
}
