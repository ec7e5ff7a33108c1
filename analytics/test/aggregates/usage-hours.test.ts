import { describe, expect, it } from 'vitest';
import { usageHourPoint } from '../../src/aggregates/aggregate-output.js';
import { aggregateUsageHours, isoWeekday } from '../../src/aggregates/usage-hours.js';

const hour = 3_600_000;
const sunday = Date.UTC(2026, 2, 1);

describe('aggregateUsageHours', () => {
  it('counts each session once per UTC hour of its start, owner subject type and device type', () => {
    const sessions = [
      { deviceType: 'tv', subjectType: 'household', start: sunday + 20 * hour + 5 * 60_000 },
      { deviceType: 'tv', subjectType: 'household', start: sunday + 20 * hour + 50 * 60_000 },
      { deviceType: 'tv', subjectType: null, start: sunday + 20 * hour },
      { deviceType: 'car', subjectType: 'public_space', start: sunday + 24 * hour + 8 * hour },
    ];
    expect(aggregateUsageHours(sessions)).toEqual([
      { start: sunday + 20 * hour, subjectType: null, deviceType: 'tv', sessions: 1 },
      { start: sunday + 20 * hour, subjectType: 'household', deviceType: 'tv', sessions: 2 },
      { start: sunday + 32 * hour, subjectType: 'public_space', deviceType: 'car', sessions: 1 },
    ]);
  });

  it('tags the point with the ISO weekday and the zero-padded UTC hour', () => {
    expect([isoWeekday(sunday), isoWeekday(sunday + 24 * hour)]).toEqual([7, 1]);
    expect(usageHourPoint({ start: sunday + 24 * hour + 8 * hour, subjectType: null, deviceType: 'car', sessions: 3 })).toEqual({
      measurement: 'usage_hour',
      tags: { subject_type: 'none', device_type: 'car', weekday: '1', hour: '08' },
      fields: {},
      intFields: { sessions: 3 },
      timestampMs: sunday + 32 * hour,
    });
  });
});
