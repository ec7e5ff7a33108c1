import type { Pool, PoolClient } from 'pg';
import { devicePartition } from './partitions.js';

/** A message for the shared log: its device and sequence number name it across every node. */
export interface SharedLogEntry {
  deviceId: string;
  seq: number;
  /** Device time, ms. */
  ts: number;
  receivedAt: number;
  /** The record as the reading side decodes it. */
  record: unknown;
}

/** A stored entry, with where it sits in its partition's order. */
export interface SharedLogRow extends SharedLogEntry {
  partition: number;
  position: LogPosition;
}

/**
 * A reader's place in a partition: the writing transaction's id and the row's. Rows are read in that order, and
 * only from transactions older than every transaction still running, so a row committed after the reader passed
 * its place can never exist: a reader never skips one (an identity alone would, when a transaction that took a
 * lower id commits after one that took a higher).
 */
export interface LogPosition {
  /** `xid8` as text: it exceeds 2^53. */
  tx: string;
  id: number;
}

export const logStart: LogPosition = { tx: '0', id: 0 };

export type AppendOutcome = 'stored' | 'duplicate';

export const sharedLogSchema = `
  CREATE TABLE IF NOT EXISTS log_records (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
    partition integer NOT NULL,
    device_id text NOT NULL,
    seq bigint NOT NULL,
    ts bigint NOT NULL,
    received_at bigint NOT NULL,
    record jsonb NOT NULL,
    UNIQUE (device_id, seq));
  CREATE INDEX IF NOT EXISTS log_records_partition_order ON log_records (partition, tx, id);
`;

interface Pending {
  entry: SharedLogEntry;
  resolve: (outcome: AppendOutcome) => void;
  reject: (error: unknown) => void;
}

interface Row {
  id: string;
  tx: string;
  partition: number;
  device_id: string;
  seq: string;
  ts: string;
  received_at: string;
  record: unknown;
}

/**
 * The log every node shares, in PostgreSQL. Appends are group commits: what is asked while a commit is under way
 * goes into the next, one multi-row insert that keeps the first of each (device, seq) across every node; each
 * promise resolves after its commit (with `synchronous_commit = on`, once durable), so a PUBACK may follow it.
 */
export class SharedLog {
  private queue: Pending[] = [];
  private committing = false;

  constructor(
    private readonly pool: Pool,
    private readonly partitions: number,
  ) {}

  append(entry: SharedLogEntry): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      if (!this.committing) void this.commitQueued();
    });
  }

  private async commitQueued(): Promise<void> {
    this.committing = true;
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        const stored = await this.insert(batch.map((p) => p.entry));
        // The first of a (device, seq) asked twice in one batch is the one stored.
        for (const pending of batch) {
          const key = `${pending.entry.deviceId}\n${pending.entry.seq}`;
          pending.resolve(stored.delete(key) ? 'stored' : 'duplicate');
        }
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    this.committing = false;
  }

  /** One statement, hence one transaction; answers the keys it stored. */
  private async insert(entries: readonly SharedLogEntry[]): Promise<Set<string>> {
    const result = await this.pool.query<{ device_id: string; seq: string }>(
      `INSERT INTO log_records (partition, device_id, seq, ts, received_at, record)
       SELECT * FROM unnest($1::integer[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::jsonb[])
       ON CONFLICT (device_id, seq) DO NOTHING RETURNING device_id, seq`,
      [
        entries.map((e) => devicePartition(e.deviceId, this.partitions)),
        entries.map((e) => e.deviceId),
        entries.map((e) => e.seq),
        entries.map((e) => e.ts),
        entries.map((e) => e.receivedAt),
        entries.map((e) => JSON.stringify(e.record)),
      ],
    );
    return new Set(result.rows.map((row) => `${row.device_id}\n${row.seq}`));
  }

  /** The partition's rows after `after`, in order, among those no running transaction can still precede. */
  async readAfter(partition: number, after: LogPosition, limit: number, client: Pool | PoolClient = this.pool): Promise<SharedLogRow[]> {
    const result = await client.query<Row>(
      `SELECT id, tx::text AS tx, partition, device_id, seq, ts, received_at, record FROM log_records
       WHERE partition = $1 AND (tx, id) > ($2::xid8, $3::bigint) AND tx < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY tx, id LIMIT $4`,
      [partition, after.tx, after.id, limit],
    );
    return result.rows.map((row) => ({
      deviceId: row.device_id,
      seq: Number(row.seq),
      ts: Number(row.ts),
      receivedAt: Number(row.received_at),
      record: row.record,
      partition: row.partition,
      position: { tx: row.tx, id: Number(row.id) },
    }));
  }
}
