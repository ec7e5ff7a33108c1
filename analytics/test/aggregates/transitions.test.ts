import { describe, expect, it } from 'vitest';
import { aggregateTransitions, median } from '../../src/aggregates/transitions.js';

const minute = 60_000;
const step = (deviceType: string, start: number, end: number) => ({ deviceType, start: start * minute, end: end * minute });

describe('aggregateTransitions', () => {
  it('counts consecutive steps by subject type and device types, with the median gap from the previous end', () => {
    const transitions = aggregateTransitions([
      { subjectType: 'person', steps: [step('coffee_machine', 0, 5), step('shower', 10, 20), step('car', 50, 70)] },
      { subjectType: 'person', steps: [step('coffee_machine', 100, 105), step('shower', 106, 116)] },
      { subjectType: 'person', steps: [step('coffee_machine', 200, 205), step('shower', 220, 230)] },
      { subjectType: 'household', steps: [step('coffee_machine', 0, 5), step('shower', 10, 20)] },
    ]);
    expect(transitions).toEqual([
      { subjectType: 'person', fromType: 'coffee_machine', toType: 'shower', count: 3, medianGapS: 5 * 60 },
      { subjectType: 'household', fromType: 'coffee_machine', toType: 'shower', count: 1, medianGapS: 5 * 60 },
      { subjectType: 'person', fromType: 'shower', toType: 'car', count: 1, medianGapS: 30 * 60 },
    ]);
  });

  it('clamps the gap of overlapping steps at 0, and gives nothing for single-step journeys', () => {
    expect(
      aggregateTransitions([
        { subjectType: null, steps: [step('tv', 0, 120), step('lamp', 10, 12)] },
        { subjectType: null, steps: [step('tv', 0, 1)] },
      ]),
    ).toEqual([{ subjectType: null, fromType: 'tv', toType: 'lamp', count: 1, medianGapS: 0 }]);
  });

  it('takes the mean of the two middle gaps for an even count', () => {
    expect(median([4, 1, 3, 10])).toBe(3.5);
    expect(median([7])).toBe(7);
  });
});
