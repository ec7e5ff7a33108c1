import type { Journey, UsageSession } from '@parcours/contracts';
import { migrate, type Database } from '@parcours/gateway';
import BetterSqlite3 from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { dayMs } from '../../src/calendar.js';
import { listStaleDays, clearStaleDays } from '../../src/aggregates/stale-days.js';
import { JourneyStore } from '../../src/journeys/journey-store.js';
import { analyticsMigrations } from '../../src/migrations.js';
import { SessionStore } from '../../src/sessions/session-store.js';

const day = Date.UTC(2026, 2, 2);
let db: Database;

function session(deviceId: string, start: number): UsageSession {
  return {
    id: `${deviceId}@${start}`,
    deviceId,
    deviceType: 'tv',
    subjectId: 'home',
    subjectKind: 'collective',
    subjectType: 'household',
    actor: null,
    inferredActor: null,
    inferenceConfidence: null,
    start,
    end: start + 1000,
    durationS: 1,
    events: 2,
    closedBy: 'stop',
  };
}
function journey(subjectId: string, start: number): Journey {
  return {
    id: `${subjectId}@${start}`,
    subjectId,
    subjectKind: 'collective',
    subjectType: 'household',
    start,
    end: start + 1000,
    durationS: 1,
    steps: 1,
    path: 'tv',
    sessions: [],
  };
}
const staleDays = () => listStaleDays(db).map((s) => (s.day - day) / dayMs);

beforeEach(() => {
  db = new BetterSqlite3(':memory:');
  db.exec('CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  migrate(db, analyticsMigrations);
});

describe('stale days', () => {
  it('are marked by the sessions saved, and by the days of the sessions a re-derivation deletes', () => {
    const store = new SessionStore(db);
    store.replace('all', day, day + 5 * dayMs, [session('tv', day + 1000), session('tv', day + 3 * dayMs)]);
    expect(staleDays()).toEqual([0, 3]);
    clearStaleDays(db, listStaleDays(db));
    // The session of day 3 is gone from the re-derivation: its day changes too. Day 4 had nothing.
    store.save(
      { closed: [session('tv', day + 2 * dayMs)], open: [], devices: [], watermark: day, rederived: [{ deviceId: 'tv', from: day + dayMs }] },
      () => undefined,
    );
    expect(staleDays()).toEqual([2, 3]);
    clearStaleDays(db, listStaleDays(db));
    store.replace(new Set(['tv']), day, day + 2 * dayMs, []);
    expect(staleDays()).toEqual([0]);
  });

  it('are marked by the journeys saved and replaced', () => {
    const store = new JourneyStore(db);
    store.save([journey('home', day + 5)], []);
    expect(staleDays()).toEqual([0]);
    clearStaleDays(db, listStaleDays(db));
    store.replace('home', day, day + 10 * dayMs, [journey('home', day + dayMs)]);
    expect(staleDays()).toEqual([0, 1]);
  });

  it('stay marked when marked again after they were read', () => {
    const store = new SessionStore(db);
    store.replace('all', day, day + dayMs, [session('tv', day)]);
    const read = listStaleDays(db);
    store.replace('all', day, day + dayMs, [session('tv', day)]);
    clearStaleDays(db, read);
    expect(staleDays()).toEqual([0]);
    clearStaleDays(db, listStaleDays(db));
    expect(staleDays()).toEqual([]);
  });
});
