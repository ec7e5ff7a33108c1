import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog } from '../../src/log/event-log.js';
import type { NewLogRecord } from '../../src/log/log-record.js';
import { migrate, openDatabase, type Database } from '../../src/store/database.js';
import { gatewayMigrations } from '../../src/store/migrations.js';

let db: Database | null = null;

afterEach(() => {
  db?.close();
  db = null;
});

function telemetry(deviceId: string, deviceType: string, seq: number): NewLogRecord {
  return {
    deviceId, seq, channel: 'telemetry', ts: seq, receivedAt: seq, deviceType, subjectId: null, subjectKind: null, subjectType: null,
    actor: null, actorRejected: false, actorHint: null, deviceTs: null, type: null, metrics: { power_w: seq }, attrs: null,
  };
}

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
