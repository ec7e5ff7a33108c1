import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCodes } from '@parcours/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTruncated, keptPayload } from '../../src/quarantine/kept-payload.js';
import { QuarantineStore, type QuarantineEntry } from '../../src/quarantine/quarantine-store.js';
import { migrate, openDatabase, type Database } from '../../src/store/database.js';
import { gatewayMigrations } from '../../src/store/migrations.js';

let db: Database;
const limits = { maxPayloadBytes: 1000, prefixBytes: 100 };
const topic = 'parcours/devices/d1/telemetry';

function entry(payload: Buffer, reason: QuarantineEntry['reason'] = errorCodes.oversize): QuarantineEntry {
  return { receivedAt: 0, topic, deviceId: 'd1', clientId: null, username: null, reason, detail: 'x', ...keptPayload(payload, limits) };
}

/** What the store holds, summed by SQLite rather than by the store's own count. */
const storedPayloadBytes = () => db.prepare<[], { n: number }>('SELECT COALESCE(SUM(length(payload)), 0) AS n FROM quarantine').get()!.n;

beforeEach(() => {
  db = openDatabase(mkdtempSync(join(tmpdir(), 'parcours-quarantine-')));
  migrate(db, gatewayMigrations);
});

afterEach(() => db.close());

describe('keptPayload', () => {
  it('keeps a payload up to the limit whole, and of a larger one a prefix with the whole size and SHA-256', () => {
    const small = Buffer.alloc(1000, 1);
    const large = Buffer.alloc(5000, 2);
    expect(keptPayload(small, limits)).toEqual({ payload: small, payloadSize: 1000, payloadSha256: createHash('sha256').update(small).digest('hex') });
    const kept = keptPayload(large, limits);
    expect(kept).toMatchObject({ payloadSize: 5000, payloadSha256: createHash('sha256').update(large).digest('hex') });
    expect(kept.payload.equals(large.subarray(0, 100))).toBe(true);
    expect([isTruncated(keptPayload(small, limits)), isTruncated(kept), isTruncated(keptPayload(large))]).toEqual([false, true, false]);
  });
});

describe('QuarantineStore', () => {
  it('drops the oldest entries past its byte bound, and says how many', () => {
    const store = new QuarantineStore(db, { maxEntries: 1000, maxBytes: 2000 });
    // Each keeps 900 payload bytes and its topic and detail: two fit, a third does not.
    const dropped = [1, 2, 3, 4].map((i) => store.append([entry(Buffer.alloc(900, i), errorCodes.badJson)]));
    expect(dropped).toEqual([0, 0, 1, 1]);
    expect(store.count()).toBe(2);
    expect(store.bytes()).toBeLessThanOrEqual(2000);
    expect(storedPayloadBytes()).toBe(1800);
    expect([...store.list({ limit: 10, offset: 0 })].map((e) => e.payload[0])).toEqual([4, 3]);
    // A new store counts again from the table what this one kept up to date.
    expect(new QuarantineStore(db, { maxEntries: 1000, maxBytes: 2000 }).bytes()).toBe(store.bytes());
  });

  it('keeps its entry bound as well, and only a prefix of an oversized payload', () => {
    const store = new QuarantineStore(db, { maxEntries: 3, maxBytes: 1_000_000 });
    expect(store.append([1, 2, 3, 4, 5].map(() => entry(Buffer.alloc(50_000))))).toBe(2);
    expect(store.count()).toBe(3);
    expect(storedPayloadBytes()).toBe(300);
    const [newest] = store.list({ limit: 1, offset: 0 });
    expect(newest).toMatchObject({ payloadSize: 50_000 });
  });

  it('replays only what it kept whole', () => {
    const store = new QuarantineStore(db, { maxEntries: 10, maxBytes: 1_000_000 });
    store.append([entry(Buffer.alloc(5000)), entry(Buffer.from('{"broken":'), errorCodes.badJson)]);
    const before = store.bytes();
    const taken = store.take({}, 10);
    expect(taken.map((e) => e.reason)).toEqual([errorCodes.badJson]);
    expect(store.count()).toBe(1);
    expect(store.bytes()).toBe(before - (10 + topic.length + 1));
  });

  it('counts the messages stored before sizes and hashes were kept, whole as they were', () => {
    const legacy = openDatabase(mkdtempSync(join(tmpdir(), 'parcours-quarantine-')));
    try {
      const upTo = gatewayMigrations.findIndex((m) => m.name === 'gateway-011-quarantine-bytes');
      migrate(legacy, gatewayMigrations.slice(0, upTo));
      legacy
        .prepare('INSERT INTO quarantine (received_at, topic, device_id, client_id, reason, detail, payload, username) VALUES (0, ?, ?, ?, ?, ?, ?, ?)')
        .run(topic, 'd1', 'c1', errorCodes.badJson, 'détail', Buffer.from('{"a":'), 'd1');
      migrate(legacy, gatewayMigrations);
      const store = new QuarantineStore(legacy, { maxEntries: 10, maxBytes: 1_000_000 });
      expect([...store.list({ limit: 10, offset: 0 })][0]).toMatchObject({
        payloadSize: 5,
        payloadSha256: createHash('sha256').update('{"a":').digest('hex'),
      });
      expect(store.bytes()).toBe(5 + topic.length + Buffer.byteLength('détail') + 2 + 2);
    } finally {
      legacy.close();
    }
  });
});
