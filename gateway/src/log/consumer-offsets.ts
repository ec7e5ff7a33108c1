import type { Database } from '../store/database.js';

/** Where each log reader (a sink, the analytics) has got to, so it resumes there after a restart. */
export class ConsumerOffsets {
  constructor(private readonly db: Database) {}

  get(consumer: string): number {
    return this.db.prepare<[string], { offset: number }>('SELECT offset FROM consumer_offsets WHERE consumer = ?').get(consumer)?.offset ?? 0;
  }

  commit(consumer: string, offset: number): void {
    this.db
      .prepare('INSERT INTO consumer_offsets (consumer, offset, updated_at) VALUES (?, ?, ?) ON CONFLICT (consumer) DO UPDATE SET offset = excluded.offset, updated_at = excluded.updated_at')
      .run(consumer, offset, Date.now());
  }
}
