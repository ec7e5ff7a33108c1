import { describe, expect, it } from 'vitest';
import { buildJourneys } from '../../src/index.js';

const minute = 60_000;
const session = (deviceType: string, start: number, end: number, user: string | null = null) => ({
  deviceType,
  subjectId: 'wp-acme',
  user,
  startMs: start * minute,
  endMs: end * minute,
});

describe('ground-truth journeys', () => {
  it("leave ambient devices' sessions out: a thermostat on all day bridges no gap between the office's coffees", () => {
    const day = [session('thermostat', 0, 660), session('coffee_machine', 60, 62, 'ind-hugo'), session('coffee_machine', 330, 332, 'ind-ines')];
    expect(buildJourneys(day).map((j) => [j.subjectId, j.startMs / minute, j.path])).toEqual([
      ['ind-hugo', 60, 'coffee_machine'],
      ['wp-acme', 60, 'coffee_machine'],
      ['ind-ines', 330, 'coffee_machine'],
      ['wp-acme', 330, 'coffee_machine'],
    ]);
    // Which types are ambient follows Parcours' session rules when given.
    expect(buildJourneys(day, 30 * minute, () => false).map((j) => j.path)).toContain('thermostat>coffee_machine>coffee_machine');
  });
});
