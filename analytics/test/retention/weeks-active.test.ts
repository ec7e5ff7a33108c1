import type { UsageSession } from '@parcours/contracts';
import { migrate, type Database } from '@parcours/gateway';
import BetterSqlite3 from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { dayMs, weekMs, weekNumber, weekOf } from '../../src/calendar.js';
import { analyticsMigrations } from '../../src/migrations.js';
import { weeksActiveBefore } from '../../src/retention/weeks-active.js';
import { SessionStore } from '../../src/sessions/session-store.js';

const monday = Date.UTC(2026, 2, 2);
let store: SessionStore;
let sessions: UsageSession[];

/** A session of a person's own device, or of a household's device with a person as its reported actor. */
function session(i: number, start: number): UsageSession {
  const own = i % 3 === 0;
  return {
    id: `s${i}`,
    deviceId: own ? `own-${i % 7}` : `home-${i % 2}`,
    deviceType: 'coffee_machine',
    subjectId: own ? `p${i % 7}` : `home-${i % 2}`,
    subjectKind: own ? 'individual' : 'collective',
    subjectType: own ? 'person' : 'household',
    actor: own || i % 5 === 0 ? null : `p${i % 7}`,
    inferredActor: null,
    inferenceConfidence: null,
    start,
    end: start + 60_000,
    durationS: 60,
    events: 2,
    closedBy: 'stop',
  };
}

beforeAll(() => {
  const db: Database = new BetterSqlite3(':memory:');
  db.exec('CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  migrate(db, analyticsMigrations);
  store = new SessionStore(db);
  // 12 weeks of sparse sessions, spread by a fixed permutation over the hours.
  sessions = Array.from({ length: 60 }, (_, i) => session(i, monday + ((i * 7919) % (12 * 7 * 24)) * 3_600_000));
  store.replace('all', monday, monday + 12 * weekMs, sessions);
});

/** The reference: per person, the distinct ISO weeks of the sessions counted for them (own devices, or as actor) in `[from, to)`. */
function weeksByPerson(from: number, to: number): Map<string, number> {
  const weeks = new Map<string, Set<number>>();
  for (const s of sessions) {
    if (s.start < from || s.start >= to) continue;
    const person = s.subjectKind === 'individual' ? s.subjectId : s.actor;
    if (person === null) continue;
    weeks.set(person, (weeks.get(person) ?? new Set()).add(weekOf(s.start)));
  }
  return new Map([...weeks].map(([id, set]) => [id, set.size]));
}

const activeWeeks: SessionStore['activeWeeks'] = (kind, low, high) => store.activeWeeks(kind, low, high);

describe('weeks active before a date', () => {
  it('count the whole ISO weeks before the week of the date in which a person had a counted session', () => {
    const at = monday + 10 * weekMs;
    const counts = weeksActiveBefore(activeWeeks, 6, at);
    expect(counts).toEqual(weeksByPerson(at - 6 * weekMs, at));
    expect(new Set(counts.values()).size).toBeGreaterThan(1);
  });

  it('leave out the week of the date, which is not over: from a Thursday, the weeks end on the Monday before', () => {
    const thursday = monday + 10 * weekMs + 3 * dayMs;
    expect(weekNumber(thursday)).toBe(weekNumber(monday + 10 * weekMs));
    expect(weeksActiveBefore(activeWeeks, 6, thursday)).toEqual(weeksByPerson(monday + 4 * weekMs, monday + 10 * weekMs));
    expect(weeksByPerson(monday + 10 * weekMs, thursday).size).toBeGreaterThan(0);
  });
});
