import { describe, expect, it } from 'vitest';
import { weekNumber, weekStart } from '../../src/calendar.js';
import { computeRetention, type SubjectActivity } from '../../src/retention/weekly-retention.js';

const monday = Date.UTC(2026, 2, 2); // Monday 2 March 2026
const w = weekNumber(monday);
const subject = (first: number, ...active: number[]): SubjectActivity => ({ first: w + first, active: new Set([first, ...active].map((k) => w + k)) });

describe('ISO weeks', () => {
  it('start on Monday 00:00 UTC', () => {
    expect(weekStart(w)).toBe(monday);
    expect(weekNumber(monday - 1)).toBe(w - 1);
    expect(weekNumber(Date.UTC(2026, 2, 8, 23, 59, 59, 999))).toBe(w);
    expect(weekNumber(Date.UTC(2026, 2, 9))).toBe(w + 1);
    expect(new Date(weekStart(weekNumber(Date.UTC(2021, 0, 1)))).toISOString()).toBe('2020-12-28T00:00:00.000Z');
  });
});

describe('computeRetention', () => {
  it('groups subjects by the week of their first use ever and follows each cohort', () => {
    const subjects = [subject(0, 1, 2), subject(0, 2), subject(0), subject(1, 2), subject(-3, 0, 1)];
    const { cohorts } = computeRetention(subjects, { firstWeek: w, lastWeek: w + 1, weeks: 2 });
    expect(cohorts.map((c) => [c.week, c.size, c.retained.map((r) => [r.weekOffset, r.week, r.active, r.share])])).toEqual([
      [
        monday,
        3,
        [
          [0, weekStart(w), 3, 1],
          [1, weekStart(w + 1), 1, 1 / 3],
          [2, weekStart(w + 2), 2, 2 / 3],
        ],
      ],
      [
        weekStart(w + 1),
        1,
        [
          [0, weekStart(w + 1), 1, 1],
          [1, weekStart(w + 2), 1, 1],
          [2, weekStart(w + 3), 0, 0],
        ],
      ],
    ]);
  });

  it('classifies each week: new, returning, resurrecting, dormant', () => {
    const subjects = [
      subject(0, 1), // new in w, returning in w+1
      subject(-2, 0), // resurrecting in w (active before, not the week before), dormant in w+1
      subject(-1), // dormant in w
      subject(-1, 0, 2), // returning in w, dormant in w+1, resurrecting in w+2
    ];
    const { lifecycle } = computeRetention(subjects, { firstWeek: w, lastWeek: w + 2, weeks: 0 });
    expect(lifecycle).toEqual([
      { week: weekStart(w), new: 1, returning: 1, resurrecting: 1, dormant: 1 },
      { week: weekStart(w + 1), new: 0, returning: 1, resurrecting: 0, dormant: 2 },
      { week: weekStart(w + 2), new: 0, returning: 0, resurrecting: 1, dormant: 1 },
    ]);
  });

  it('gives no cohorts and zero lifecycles when nobody was active', () => {
    const { cohorts, lifecycle } = computeRetention([], { firstWeek: w, lastWeek: w, weeks: 1 });
    expect(cohorts).toEqual([]);
    expect(lifecycle).toEqual([{ week: monday, new: 0, returning: 0, resurrecting: 0, dormant: 0 }]);
  });
});
