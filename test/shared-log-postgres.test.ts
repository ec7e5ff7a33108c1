import { devicePartition, logStart, type LogPosition, SharedLog, type SharedLogRow, sharedLogSchema } from '@parcours/gateway';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../tools/services/index.js';

/**
 * The log every node shares, on a real PostgreSQL: three nodes (three pools) append the same messages, each kept
 * once; and a reader never skips a row that a slower transaction committed after a faster one it already read.
 */
const partitions = 4;
let server: PostgresServer;
const pools: pg.Pool[] = [];

const entry = (deviceId: string, seq: number) => ({ deviceId, seq, ts: 1_000 + seq, receivedAt: 2_000 + seq, record: { seq, type: 'usage.start' } });

/** Reads a partition to its end from `from`, a page at a time. */
async function readAll(log: SharedLog, partition: number, from: LogPosition): Promise<{ rows: SharedLogRow[]; at: LogPosition }> {
  const rows: SharedLogRow[] = [];
  let at = from;
  for (let page = await log.readAfter(partition, at, 50); page.length > 0; page = await log.readAfter(partition, at, 50)) {
    rows.push(...page);
    at = page.at(-1)!.position;
  }
  return { rows, at };
}

beforeAll(async () => {
  server = await startPostgres();
  for (let i = 0; i < 3; i++) pools.push(new pg.Pool({ connectionString: server.url, max: 4 }));
  await pools[0]!.query(sharedLogSchema);
}, 120_000);

afterAll(async () => {
  for (const pool of pools) await pool.end();
  await server?.stop();
});

describe('the shared log', () => {
  it('keeps each (device, seq) once whichever nodes receive it, telling exactly one of them it stored it', async () => {
    const logs = pools.map((pool) => new SharedLog(pool, partitions));
    const devices = Array.from({ length: 8 }, (_, i) => `dev-${i}`);
    // Every node gets every message of every device, some twice, all at once: group commits race.
    const outcomes = await Promise.all(
      logs.flatMap((log) =>
        devices.flatMap((d) => Array.from({ length: 30 }, (_, k) => log.append(entry(d, (k % 25) + 1)).then((o) => [`${d}:${(k % 25) + 1}`, o] as const))),
      ),
    );
    const stored = outcomes.filter(([, o]) => o === 'stored').map(([key]) => key);
    expect(stored.length).toBe(devices.length * 25);
    expect(new Set(stored).size).toBe(stored.length);
    const { rows } = await pools[0]!.query<{ n: string; keys: string }>('SELECT COUNT(*) AS n, COUNT(DISTINCT (device_id, seq)) AS keys FROM log_records');
    expect(rows[0]).toEqual({ n: String(devices.length * 25), keys: String(devices.length * 25) });
    for (const d of devices) {
      const { rows: kept } = await pools[0]!.query<{ partition: number }>('SELECT DISTINCT partition FROM log_records WHERE device_id = $1', [d]);
      expect(kept).toEqual([{ partition: devicePartition(d, partitions) }]);
    }
  });

  it('never lets a reader pass a row a transaction still running will commit before the ones it already read', async () => {
    const log = new SharedLog(pools[0]!, partitions);
    const device = 'slow-and-fast';
    const partition = devicePartition(device, partitions);
    const start = (await readAll(log, partition, logStart)).at;
    // A slow transaction takes the lower id and keeps it uncommitted; a fast one takes a higher id and commits.
    const slow = await pools[1]!.connect();
    await slow.query('BEGIN');
    await slow.query(`INSERT INTO log_records (partition, device_id, seq, ts, received_at, record) VALUES ($1, $2, 1, 1, 1, '{}')`, [partition, device]);
    expect(await new SharedLog(pools[2]!, partitions).append(entry(device, 2))).toBe('stored');
    const { rows: ids } = await pools[0]!.query<{ seq: string; id: string }>('SELECT seq, id FROM log_records WHERE device_id = $1 ORDER BY seq', [device]);
    expect(ids.map((r) => r.seq)).toEqual(['2']);

    // Nothing is read past the running transaction: the fast row waits for the slow one.
    const before = await readAll(log, partition, start);
    expect(before.rows.filter((r) => r.deviceId === device)).toEqual([]);
    await slow.query('COMMIT');
    slow.release();
    const after = await readAll(log, partition, before.at);
    expect(after.rows.filter((r) => r.deviceId === device).map((r) => r.seq)).toEqual([1, 2]);
  });

  it('gives concurrent readers every row of their partition once, in a stable order, while three nodes append', async () => {
    const logs = pools.map((pool) => new SharedLog(pool, partitions));
    const reader = new SharedLog(pools[0]!, partitions);
    const starts = await Promise.all(Array.from({ length: partitions }, async (_, p) => (await readAll(reader, p, logStart)).at));
    const seen = Array.from({ length: partitions }, () => [] as SharedLogRow[]);
    const positions = [...starts];
    let appending = true;
    const follow = (async () => {
      while (appending) {
        for (let p = 0; p < partitions; p++) {
          const { rows, at } = await readAll(reader, p, positions[p]!);
          seen[p]!.push(...rows);
          positions[p] = at;
        }
      }
    })();
    await Promise.all(logs.map((log, node) => Promise.all(Array.from({ length: 300 }, (_, k) => log.append(entry(`race-${k % 10}`, node * 1_000 + k))))));
    appending = false;
    await follow;
    for (let p = 0; p < partitions; p++) seen[p]!.push(...(await readAll(reader, p, positions[p]!)).rows);
    const keys = seen.flat().map((r) => `${r.deviceId}:${r.seq}`);
    expect(keys.length).toBe(900);
    expect(new Set(keys).size).toBe(900);
    // Read again from the start, each partition gives the same rows in the same order.
    for (let p = 0; p < partitions; p++) expect((await readAll(reader, p, starts[p]!)).rows).toEqual(seen[p]);
  });
});
