import type { Pool, PoolClient } from 'pg';
import { errorCodes, ParcoursError } from '@parcours/contracts';
import { hash32 } from './partitions.js';

export const partitionOwnersSchema = `
  CREATE TABLE IF NOT EXISTS parcours_nodes (node_id text PRIMARY KEY, heartbeat_at timestamptz NOT NULL);
  CREATE TABLE IF NOT EXISTS partition_owners (partition integer PRIMARY KEY, owner text, epoch bigint NOT NULL DEFAULT 0);
`;

/** The advisory lock space of partition ownership (the other key is the partition). */
const lockSpace = 0x5041;

/** A partition this node owns, and the epoch its commits are fenced by. */
export interface Ownership {
  partition: number;
  epoch: number;
}

export interface PartitionOwnersOptions {
  nodeId: string;
  partitions: number;
  /** A node whose heartbeat is older than this is gone: its partitions go to the others. */
  ttlMs: number;
  /** Off only to show what fencing prevents: a commit then trusts the owner's belief. */
  fencing?: boolean;
}

/** Rendezvous hashing: each partition goes to the live node with the highest score, so a node's departure moves only its partitions. */
export function rendezvousOwner(partition: number, nodes: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const node of nodes) {
    const score = hash32(`${node}/${partition}`);
    if (score > bestScore || (score === bestScore && best !== undefined && node < best)) [best, bestScore] = [node, score];
  }
  return best;
}

/**
 * Which device partitions this node owns among the live nodes. Each partition it should own (rendezvous hashing
 * over the nodes whose heartbeat is fresh) is held by a session advisory lock on a connection kept for it: a node
 * that dies loses its connection, hence its locks, at once. Taking a partition raises its epoch; every commit of
 * the partition's state checks, in its transaction, that the epoch is still the one it took (`FOR SHARE` holds a
 * takeover back until the commit ends). A node that lost its locks without knowing (a long pause, a cut
 * connection) is fenced: its next commit fails, and it must read the partition's state again from the store.
 */
export class PartitionOwners {
  private lockClient: PoolClient | null = null;
  private readonly owned = new Map<number, number>();

  constructor(
    private readonly pool: Pool,
    private readonly options: PartitionOwnersOptions,
  ) {}

  /** The partitions owned now, with their epochs. */
  ownerships(): Ownership[] {
    return [...this.owned].map(([partition, epoch]) => ({ partition, epoch })).sort((a, b) => a.partition - b.partition);
  }

  /**
   * One round: beats the heart, then takes the partitions this node should own that are free and lets go of those
   * it should no longer own (a node joined). Answers the ownerships after it.
   */
  async rebalance(): Promise<Ownership[]> {
    const { nodeId, partitions, ttlMs } = this.options;
    this.lockClient ??= await this.lockSession();
    await this.pool.query(
      `INSERT INTO parcours_nodes (node_id, heartbeat_at) VALUES ($1, now())
       ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = now()`,
      [nodeId],
    );
    const live = (
      await this.pool.query<{ node_id: string }>(`SELECT node_id FROM parcours_nodes WHERE heartbeat_at > now() - make_interval(secs => $1)`, [ttlMs / 1000])
    ).rows.map((row) => row.node_id);
    for (let partition = 0; partition < partitions; partition++) {
      const mine = rendezvousOwner(partition, live) === nodeId;
      if (mine && !this.owned.has(partition)) await this.take(partition);
      else if (!mine && this.owned.has(partition)) await this.release(partition);
    }
    return this.ownerships();
  }

  /** The connection holding the locks; when it fails, every partition is lost with it (the next round takes a new one). */
  private async lockSession(): Promise<PoolClient> {
    const client = await this.pool.connect();
    client.on('error', () => {
      if (this.lockClient !== client) return;
      this.owned.clear();
      this.lockClient = null;
      client.release(true);
    });
    return client;
  }

  private async take(partition: number): Promise<void> {
    const client = this.lockClient!;
    const locked = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [lockSpace, partition]);
    // Still held by its previous owner (alive, or its session not yet gone): the next round tries again.
    if (!locked.rows[0]!.locked) return;
    const taken = await client.query<{ epoch: string }>(
      `INSERT INTO partition_owners (partition, owner, epoch) VALUES ($1, $2, 1)
       ON CONFLICT (partition) DO UPDATE SET owner = EXCLUDED.owner, epoch = partition_owners.epoch + 1
       RETURNING epoch`,
      [partition, this.options.nodeId],
    );
    this.owned.set(partition, Number(taken.rows[0]!.epoch));
  }

  private async release(partition: number): Promise<void> {
    this.owned.delete(partition);
    await this.lockClient!.query('SELECT pg_advisory_unlock($1, $2)', [lockSpace, partition]);
  }

  /**
   * Runs `work` in a transaction that commits only if the partition is still this node's at the epoch of
   * `ownership` — the one under which the caller read the partition's state; otherwise throws
   * `PARCOURS_E_STALE_OWNER`, committing nothing (the caller must read the partition's state again, if it owns it).
   */
  async commit<T>({ partition, epoch }: Ownership, work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      if (this.options.fencing !== false) {
        const current = await client.query<{ owner: string; epoch: string }>('SELECT owner, epoch FROM partition_owners WHERE partition = $1 FOR SHARE', [
          partition,
        ]);
        const row = current.rows[0];
        if (row?.owner !== this.options.nodeId || Number(row.epoch) !== epoch) {
          if (this.owned.get(partition) === epoch) this.owned.delete(partition);
          throw staleOwner(this.options.nodeId, partition, `epoch ${epoch} is no longer current (${row?.owner ?? 'nobody'} at epoch ${row?.epoch ?? 0})`);
        }
      }
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Lets go of every partition (a graceful stop): the others take them at their next round. */
  async stop(): Promise<void> {
    this.owned.clear();
    // Closed, not returned to the pool: its session's advisory locks go with it.
    this.lockClient?.release(true);
    this.lockClient = null;
    await this.pool.query('DELETE FROM parcours_nodes WHERE node_id = $1', [this.options.nodeId]);
  }
}

function staleOwner(nodeId: string, partition: number, why: string): ParcoursError {
  return new ParcoursError(errorCodes.staleOwner, `node ${nodeId} may not commit partition ${partition}: ${why}`);
}
