import { errorCodes } from '@parcours/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDay } from '../src/commands/day-date.js';

describe('parseDay: --date in the local time zone', () => {
  const saved = process.env.TZ;
  beforeEach(() => {
    process.env.TZ = 'Europe/Paris';
  });
  afterEach(() => {
    process.env.TZ = saved;
  });

  it('reads a date as its local midnight to the next', () => {
    expect(parseDay('2025-06-02', new Date())).toEqual({ from: Date.UTC(2025, 5, 1, 22), to: Date.UTC(2025, 5, 2, 22), date: '2025-06-02' });
  });

  it('gives the day of a change of clocks its 23 hours', () => {
    const spring = parseDay('2025-03-30', new Date());
    expect(spring.to - spring.from).toBe(23 * 3_600_000);
  });

  it('reads today and yesterday from now, in local time', () => {
    const lateEvening = new Date(Date.UTC(2025, 5, 2, 22, 30)); // 00:30 on 3 June in Paris
    expect(parseDay('today', lateEvening).date).toBe('2025-06-03');
    expect(parseDay('yesterday', lateEvening).date).toBe('2025-06-02');
    expect(parseDay('yesterday', new Date(Date.UTC(2025, 2, 1, 12))).date).toBe('2025-02-28');
  });

  it('refuses what is not a day, with the usage code', () => {
    for (const text of ['2025-02-30', '2025-6-2', 'tomorrow', '']) {
      expect(() => parseDay(text, new Date())).toThrow(expect.objectContaining({ code: errorCodes.usage }));
    }
  });
});
