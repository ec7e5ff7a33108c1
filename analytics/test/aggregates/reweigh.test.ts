import { migrate, type Database } from '@parcours/gateway';
import BetterSqlite3 from 'better-sqlite3';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { AggregateJob } from '../../src/aggregates/aggregate-job.js';
import { AggregateStore } from '../../src/aggregates/aggregate-store.js';
import { listStaleDays } from '../../src/aggregates/stale-days.js';
import { dayMs } from '../../src/calendar.js';
import { analyticsMigrations } from '../../src/migrations.js';
import type { ResultWriter } from '../../src/output/result-writer.js';

const now = Date.UTC(2026, 11, 3, 16);
const today = Date.UTC(2026, 11, 3);
let db: Database;
let job: AggregateJob;

/** The days marked stale, as whole days from today (0 is today, −1 yesterday). */
const staleDays = () => listStaleDays(db).map((s) => (s.day - today) / dayMs);
/** The whole days from today of [first, last]. */
const days = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, k) => first + k);

beforeEach(() => {
  db = new BetterSqlite3(':memory:');
  db.exec('CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  migrate(db, analyticsMigrations);
  job = new AggregateJob({
    store: new AggregateStore(db),
    writer: {} as ResultWriter,
    intervalMs: 1000,
    retentionIntervalMs: 1000,
    funnels: [],
    funnelOccurrences: () => [],
    activeWeeks: () => [],
    individualType: () => null,
    weightedSchemes: () => [],
    logger: pino({ level: 'silent' }),
  });
});

describe("a scheme's new run", () => {
  it('marks stale the days within 35 days of its date and the last 35 days', () => {
    const at = today - 200 * dayMs;
    job.reweigh(at, now);
    expect(staleDays()).toEqual([...days(-235, -166), ...days(-35, 0)]);
  });

  it('marks none after today, for a date that is recent or to come', () => {
    job.reweigh(today - 10 * dayMs + 3_600_000, now);
    expect(staleDays()).toEqual(days(-45, 0));
    db.exec('DELETE FROM stale_days');
    job.reweigh(today + 100 * dayMs, now);
    expect(staleDays()).toEqual(days(-35, 0));
  });
});
