import { migrate } from '@parcours/gateway';
import BetterSqlite3 from 'better-sqlite3';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { analyticsMigrations } from '../../src/migrations.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { InfluxPositions } from '../../src/output/influx-positions.js';
import { ResultWriter } from '../../src/output/result-writer.js';

describe('ResultWriter without InfluxDB', () => {
  it('puts every output InfluxDB had caught up with behind again, with its first commit', () => {
    const db = new BetterSqlite3(':memory:');
    db.exec('CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
    migrate(db, analyticsMigrations);
    const positions = new InfluxPositions(db);
    const complete = { definition: '', writtenTo: Date.UTC(2026, 0, 5), complete: true };
    positions.set('usage_session', complete);
    positions.set('journey', complete);
    const writer = new ResultWriter({ db, influx: null, outbox: new Outbox(db), positions, onQueued: () => undefined, logger: pino({ level: 'silent' }) });
    writer.commit(() => undefined, []);
    expect(positions.get('usage_session')).toBeNull();
    expect(positions.get('journey')).toBeNull();
  });
});
