import type { UsageSession } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { aggregateActivity, type ActivitySession } from '../../src/aggregates/activity.js';
import { weekOf } from '../../src/calendar.js';

const hour = 3_600_000;
const monday = Date.UTC(2026, 2, 2);
const types: Record<string, string> = { ana: 'person', ben: 'person' };
const individualType = (id: string) => types[id] ?? null;

function session(deviceId: string, start: number, owner: Partial<UsageSession> = {}): ActivitySession {
  return {
    id: `${deviceId}@${start}`,
    deviceId,
    deviceType: deviceId.replace(/-\d$/, ''),
    subjectId: 'home',
    subjectType: 'household',
    actor: null,
    start,
    ...owner,
  };
}
const row = (a: ReturnType<typeof aggregateActivity>[number]) => [
  new Date(a.start).toISOString().slice(0, 10),
  a.subjectType,
  a.deviceType,
  a.activeSubjects,
  a.activeDevices,
  a.sessions,
];

describe('aggregateActivity', () => {
  const sessions = [
    session('coffee_machine-1', monday + 7 * hour, { actor: 'ana' }),
    session('coffee_machine-1', monday + 8 * hour, { actor: 'ben' }),
    session('coffee_machine-1', monday + 9 * hour),
    session('coffee_machine-2', monday + 9 * hour, { subjectId: 'flat', actor: 'ana' }),
    session('toothbrush-1', monday + 7 * hour, { subjectId: 'ana', subjectType: 'person', actor: 'ana' }),
    session('coffee_machine-1', monday + 24 * hour + 7 * hour, { actor: 'ana' }),
    session('tv-1', monday + 2 * 24 * hour, { subjectId: null, subjectType: null }),
  ];

  it("counts per UTC day each session for its owner, and for its reported actor under the actor's type", () => {
    expect(aggregateActivity(sessions, 'day', individualType).map(row)).toEqual([
      ['2026-03-02', 'household', 'coffee_machine', 2, 2, 4],
      ['2026-03-02', 'person', 'coffee_machine', 2, 2, 3],
      ['2026-03-02', 'person', 'toothbrush', 1, 1, 1],
      ['2026-03-03', 'household', 'coffee_machine', 1, 1, 1],
      ['2026-03-03', 'person', 'coffee_machine', 1, 1, 1],
      // An unassigned device: used, by nobody known.
      ['2026-03-04', null, 'tv', 0, 1, 1],
    ]);
  });

  it('counts distinct subjects and devices over the ISO week, which is not the sum of its days', () => {
    const week = aggregateActivity(sessions, 'week', individualType);
    expect(week.every((a) => a.start === monday && a.period === 'week')).toBe(true);
    expect(week.map(row)).toEqual([
      ['2026-03-02', null, 'tv', 0, 1, 1],
      ['2026-03-02', 'household', 'coffee_machine', 2, 2, 5],
      ['2026-03-02', 'person', 'coffee_machine', 2, 2, 4],
      ['2026-03-02', 'person', 'toothbrush', 1, 1, 1],
    ]);
  });

  it('leaves an inferred actor out, as journeys do', () => {
    const inferred = { ...session('coffee_machine-1', monday), inferredActor: 'ana' };
    expect(aggregateActivity([inferred], 'day', individualType).map(row)).toEqual([['2026-03-02', 'household', 'coffee_machine', 1, 1, 1]]);
  });

  it('starts ISO weeks on Monday 00:00 UTC', () => {
    expect(weekOf(monday)).toBe(monday);
    expect(weekOf(monday + 7 * 24 * hour - 1)).toBe(monday);
    expect(weekOf(monday - 1)).toBe(monday - 7 * 24 * hour);
    expect(weekOf(Date.UTC(2026, 0, 1))).toBe(Date.UTC(2025, 11, 29));
  });
});
