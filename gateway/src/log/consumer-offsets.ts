import type { Database, Statement } from '../store/database.js';

/** Where each log reader (a sink, the analytics) has got to, so it resumes there after a restart. */
export class ConsumerOffsets {
  /** Prepared once: readers commit after every batch. */
  private upsert: Statement | null = null;

  constructor(private readonly db: Database) {}

  get(consumer: string): number {
    return this.db.prepare<[string], { offset: number }>('SELECT offset FROM consumer_offsets WHERE consumer = ?').get(consumer)?.offset ?? 0;
  }

  commit(consumer: string, offset: number): void {
    this.upsert ??= this.db.prepare(
      'INSERT INTO consumer_offsets (consumer, offset, updated_at) VALUES (?, ?, ?) ON CONFLICT (consumer) DO UPDATE SET offset = excluded.offset, updated_at = excluded.updated_at',
    );
    this.upsert.run(consumer, offset, Date.now());
  }
}
