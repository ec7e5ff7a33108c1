import { errorCodes } from '@parcours/contracts';
import { type Ownership, PartitionOwners, partitionOwnersSchema } from '@parcours/gateway';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../tools/services/index.js';

/**
 * Device partitions among nodes on a real PostgreSQL: each partition has one owner among the live nodes; a node
 * whose sessions die loses its partitions to the others, and gets its share back when it returns; a node that lost
 * its partitions without knowing cannot commit their state — unless fencing is off, which is what it prevents.
 */
const partitions = 16;
const ttlMs = 1_000;
let server: PostgresServer;
let admin: pg.Pool;
const pools: pg.Pool[] = [];

function nodePool(nodeId: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: server.url, max: 3, application_name: nodeId });
  // A node whose sessions are cut sees its idle connections fail: expected here.
  pool.on('error', () => undefined);
  pools.push(pool);
  return pool;
}

const nodes: PartitionOwners[] = [];
function node(nodeId: string, fencing = true): PartitionOwners {
  const owners = new PartitionOwners(nodePool(nodeId), { nodeId, partitions, ttlMs, fencing });
  nodes.push(owners);
  return owners;
}

/** Cuts every session of a node, as when its process is killed or its network fails. */
async function cutSessions(nodeId: string): Promise<void> {
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [nodeId]);
}

/** Rounds of `rebalance` on the live nodes until `done`, checking after each that no partition has two owners. */
async function roundsUntil(nodes: readonly PartitionOwners[], done: (owned: Ownership[][]) => boolean): Promise<Ownership[][]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const owned = [];
    for (const n of nodes) owned.push(await n.rebalance());
    const all = owned.flat().map((o) => o.partition);
    expect(new Set(all).size, 'a partition with two owners').toBe(all.length);
    if (done(owned)) return owned;
    if (Date.now() > deadline) throw new Error(`partitions not settled: ${JSON.stringify(owned)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const covered = (owned: Ownership[][]) => owned.flat().length === partitions;

/** A commit of partition 0 under an ownership, recording which node committed it at which epoch. */
function recordCommit(owners: PartitionOwners, nodeId: string, ownership: Ownership): Promise<unknown> {
  return owners.commit(ownership, (client) =>
    client.query('INSERT INTO commits (partition, epoch, node) VALUES ($1, $2, $3)', [ownership.partition, ownership.epoch, nodeId]),
  );
}

const first = (owners: PartitionOwners) => owners.ownerships().find((o) => o.partition === 0)!;

beforeAll(async () => {
  server = await startPostgres();
  admin = new pg.Pool({ connectionString: server.url, max: 2 });
  await admin.query(partitionOwnersSchema);
  await admin.query('CREATE TABLE commits (n bigint GENERATED ALWAYS AS IDENTITY, partition integer, epoch bigint, node text)');
}, 120_000);

afterAll(async () => {
  for (const owners of nodes) await owners.stop().catch(() => undefined);
  for (const pool of pools) await pool.end().catch(() => undefined);
  await admin?.end();
  await server?.stop();
});

describe('device partitions among nodes', () => {
  it('gives each partition one owner, moves a dead node’s to the others, and gives it its share back when it returns', async () => {
    const [a, b, c] = [node('node-a'), node('node-b'), node('node-c')];
    const before = await roundsUntil([a, b, c], (owned) => covered(owned) && owned.every((o) => o.length > 0));
    const bs = before[1]!.map((o) => o.partition);

    await cutSessions('node-b');
    const after = await roundsUntil([a, c], covered);
    // Only the dead node's partitions moved, each at the next epoch.
    const epochBefore = new Map(before[1]!.map((o) => [o.partition, o.epoch]));
    const moved = after.flat().filter((o) => bs.includes(o.partition));
    expect(moved.map((o) => o.epoch - epochBefore.get(o.partition)!)).toEqual(bs.map(() => 1));
    expect(after[0]!.filter((o) => !bs.includes(o.partition))).toEqual(before[0]);

    const back = node('node-b');
    const settled = await roundsUntil([a, back, c], (owned) => covered(owned) && owned[1]!.length === bs.length);
    expect(settled[1]!.map((o) => o.partition)).toEqual(bs);
    for (const n of [a, back, c]) await n.stop();
  });

  it('refuses the commit of a node that lost its partitions without knowing, and only fencing does', async () => {
    for (const [nodeId, fencing] of [
      ['paused-fenced', true],
      ['paused-unfenced', false],
    ] as const) {
      const paused = node(nodeId, fencing);
      await roundsUntil([paused], covered);
      // The state of partition 0 read under this ownership; a commit of it goes well.
      const believed = first(paused);
      await recordCommit(paused, nodeId, believed);
      // Its sessions cut and its heart stopped (a long pause): the other takes everything, at new epochs.
      await cutSessions(nodeId);
      const other = node(`${nodeId}-successor`);
      await roundsUntil([other], covered);
      await recordCommit(other, `${nodeId}-successor`, first(other));

      // Back from its pause, it commits what it derived under its old ownership.
      const late = recordCommit(paused, nodeId, believed);
      if (fencing) await expect(late).rejects.toMatchObject({ code: errorCodes.staleOwner });
      else await late;
      await other.stop();
    }
    // A partition's commits never go back to an earlier epoch, and each epoch is one node's: without fencing, the
    // paused node committed at its old epoch after its successor had.
    const { rows } = await admin.query<{ node: string; epoch: string }>('SELECT node, epoch FROM commits WHERE partition = 0 ORDER BY n');
    const epochs = rows.map((row) => Number(row.epoch));
    const wentBack = rows.filter((_, i) => epochs[i]! < Math.max(...epochs.slice(0, i)));
    expect(wentBack.map((row) => row.node)).toEqual(['paused-unfenced']);
    const nodesOf = new Map<number, Set<string>>();
    for (const row of rows) nodesOf.set(Number(row.epoch), (nodesOf.get(Number(row.epoch)) ?? new Set()).add(row.node));
    expect([...nodesOf.values()].every((nodes) => nodes.size === 1)).toBe(true);
  });
});
