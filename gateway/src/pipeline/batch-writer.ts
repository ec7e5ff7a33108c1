import type { Database } from '../store/database.js';
import type { EventLog } from '../log/event-log.js';
import type { NewLogRecord } from '@parcours/contracts';
import type { QuarantineEntry, QuarantineStore } from '../quarantine/quarantine-store.js';
import type { WalSync } from '../store/wal-sync.js';
import type { PresenceStore, PresenceChange } from './presence-store.js';

export type WriteItem =
  | { kind: 'record'; record: NewLogRecord }
  | { kind: 'quarantine'; entry: QuarantineEntry }
  | { kind: 'presence'; change: PresenceChange };

export type WriteOutcome = 'stored' | 'duplicate' | 'quarantined' | 'presence';

/**
 * Most writes in one transaction. A transaction runs on the event loop, so a larger one would hold every
 * connection and the HTTP API for as long: past this, the rest waits for the next turn of the loop.
 */
export const maxBatchWrites = 500;

interface Pending {
  item: WriteItem;
  resolve: (outcome: WriteOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: every write requested during one turn of the event loop goes into one transaction (at
 * most `maxBatchWrites`), so each message is durable before its promise resolves while the fsync cost is
 * shared by the batch. With a `WalSync` (data.sync = full) the promises resolve once the WAL is fsynced;
 * without, once committed.
 */
export class BatchWriter {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly db: Database,
    private readonly log: EventLog,
    private readonly quarantine: QuarantineStore,
    private readonly presence: PresenceStore,
    /** Told how many of the oldest quarantined messages were dropped to keep the quarantine bounded. */
    private readonly onQuarantineDropped: (count: number) => void,
    private readonly walSync: WalSync | null,
  ) {}

  write(item: WriteItem): Promise<WriteOutcome> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.pending.slice(0, maxBatchWrites);
    this.pending = this.pending.slice(batch.length);
    if (this.pending.length > 0) setImmediate(() => this.flush());
    else this.scheduled = false;
    let outcomes: WriteOutcome[];
    try {
      outcomes = this.db.transaction(() => this.writeAll(batch.map((p) => p.item)))();
    } catch (error) {
      this.quarantine.recount();
      for (const p of batch) p.reject(error);
      return;
    }
    const settle = () => {
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(outcomes[i]!);
      if (outcomes.includes('stored')) this.log.notifyAppended();
    };
    if (!this.walSync) {
      settle();
      return;
    }
    this.walSync.sync().then(settle, (error: unknown) => {
      for (const p of batch) p.reject(error);
    });
  }

  private writeAll(items: WriteItem[]): WriteOutcome[] {
    const records = items.flatMap((item) => (item.kind === 'record' ? [item.record] : []));
    const fresh = this.log.append(records);
    const dropped = this.quarantine.append(items.flatMap((item) => (item.kind === 'quarantine' ? [item.entry] : [])));
    if (dropped > 0) this.onQuarantineDropped(dropped);
    this.presence.apply(items.flatMap((item) => (item.kind === 'presence' ? [item.change] : [])));
    let next = 0;
    return items.map((item) => {
      if (item.kind === 'quarantine') return 'quarantined';
      if (item.kind === 'presence') return 'presence';
      return fresh[next++] ? 'stored' : 'duplicate';
    });
  }
}
