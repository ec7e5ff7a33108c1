import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { telemetryRecord } from './telemetry-record.js';
import { EventLog } from '../../src/log/event-log.js';
import { migrate, openDatabase, type Database } from '../../src/store/database.js';
import { gatewayMigrations } from '../../src/store/migrations.js';

let db: Database | null = null;

afterEach(() => {
  db?.close();
  db = null;
});

const telemetry = (deviceId: string, deviceType: string, seq: number) => telemetryRecord(seq, deviceId, deviceType);

describe('EventLog.readAfter', () => {
  it('returns the metrics of all, none, or only the listed device types', () => {
    db = openDatabase(mkdtempSync(join(tmpdir(), 'parcours-log-')));
    migrate(db, gatewayMigrations);
    const log = new EventLog(db);
    log.append([telemetry('tv1', 'tv', 1), telemetry('pr1', 'printer', 2)]);
    const metrics = (withMetrics: boolean | string[]) => log.readAfter(0, 10, withMetrics).map((r) => r.metrics);
    expect(metrics(true)).toEqual([{ power_w: 1 }, { power_w: 2 }]);
    expect(metrics(false)).toEqual([null, null]);
    expect(metrics(['tv'])).toEqual([{ power_w: 1 }, null]);
    expect(metrics([])).toEqual([null, null]);
  });
});

describe('EventLog.append', () => {
  it('ends at the offset of the last record stored, whatever duplicates came after it: a reader that read it is caught up', () => {
    db = openDatabase(mkdtempSync(join(tmpdir(), 'parcours-log-')));
    migrate(db, gatewayMigrations);
    const log = new EventLog(db);
    expect(log.append([telemetry('tv1', 'tv', 1), telemetry('tv1', 'tv', 1)])).toEqual([true, false]);
    expect(log.append([telemetry('tv1', 'tv', 1)])).toEqual([false]);
    expect(log.lastOffset()).toBe(1);
    log.append([telemetry('tv1', 'tv', 2)]);
    const last = log.readAfter(1, 10);
    expect(last.map((r) => r.seq)).toEqual([2]);
    expect(log.lastOffset()).toBe(last[0]!.offset);
  });
});

describe('EventLog.countAfter', () => {
  it('counts the records stored after an offset, not the offsets that duplicates took', () => {
    db = openDatabase(mkdtempSync(join(tmpdir(), 'parcours-log-')));
    migrate(db, gatewayMigrations);
    const log = new EventLog(db);
    // Each redelivery takes an offset that no record holds.
    log.append([telemetry('tv1', 'tv', 1), telemetry('tv1', 'tv', 1), telemetry('tv1', 'tv', 2), telemetry('tv1', 'tv', 2), telemetry('tv1', 'tv', 3)]);
    const [first] = log.readAfter(0, 1);
    expect(log.countAfter(0)).toBe(3);
    expect(log.countAfter(first!.offset)).toBe(2);
    expect(log.countAfter(log.lastOffset())).toBe(0);
  });
});

describe('EventLog.readTimeRange', () => {
  function openLog(): EventLog {
    db = openDatabase(mkdtempSync(join(tmpdir(), 'parcours-log-')));
    migrate(db, gatewayMigrations);
    return new EventLog(db);
  }

  it('reads [from, to) in device-time then log order, across chunks that cut a run of equal times', () => {
    const log = openLog();
    // Appended out of device-time order; ts 5 four times, so chunks of 3 end inside the run.
    const times = [7, 5, 3, 5, 9, 5, 2, 5, 10];
    log.append(times.map((ts, i) => ({ ...telemetry(`d${i}`, 'tv', i + 1), ts })));
    const chunks = [...log.readTimeRange(3, 10, { chunk: 3 })];
    expect(chunks.map((c) => c.length)).toEqual([3, 3, 1]);
    expect(chunks.flat().map((r) => [r.ts, r.offset])).toEqual([
      [3, 3],
      [5, 2],
      [5, 4],
      [5, 6],
      [5, 8],
      [7, 1],
      [9, 5],
    ]);
  });

  it('returns whole records, or leaves out the metrics and attrs a reader does not need', () => {
    const log = openLog();
    const tv = { ...telemetry('tv1', 'tv', 1), attrs: { room: 'lounge' } };
    log.append([tv, telemetry('pr1', 'printer', 2)]);
    const [full] = [...log.readTimeRange(0, 10)];
    expect(full).toEqual([
      { ...tv, offset: 1 },
      { ...telemetry('pr1', 'printer', 2), offset: 2 },
    ]);
    const [lean] = [...log.readTimeRange(0, 10, { withMetrics: ['tv'], withAttrs: false })];
    expect(lean!.map((r) => [r.metrics, r.attrs])).toEqual([
      [{ power_w: 1 }, null],
      [null, null],
    ]);
    expect(lean![0]).toEqual({ ...tv, offset: 1, attrs: null });
  });
});
