import { errorCodes, type Funnel } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { computeFunnel, subjectsReaching, type Occurrence } from '../../src/funnels/funnel-counter.js';
import { individualFunnel, individualsReachingStep } from '../../src/funnels/funnel-reach.js';

const minute = 60_000;
const day = 24 * 60 * minute;
const morning: Funnel = {
  name: 'morning',
  countBy: 'individual',
  window: 60 * minute,
  steps: [{ deviceType: 'coffee_machine' }, { eventType: 'door.opened' }, { deviceType: 'car' }],
};
const leaving: Funnel = { ...morning, name: 'leaving', countBy: 'collective' };
const keys = ['device:coffee_machine', 'event:door.opened', 'device:car', 'device:tv'];

/** Park–Miller's generator, seeded: the same occurrences on every run. */
let state = 42;
const random = () => (state = (state * 48_271) % 2_147_483_647) / 2_147_483_647;
/** Two days of occurrences of 40 subjects at random times: some go all the way, most stall. */
const occurrences: Occurrence[] = Array.from({ length: 2_000 }, (_, i) => ({
  subjectId: `s${i % 40}`,
  key: keys[Math.floor(random() * keys.length)]!,
  ts: Math.floor(random() * 2 * day),
}));

describe('the subjects reaching a funnel step', () => {
  it('are those the funnel counts at that step, fewer at each step', () => {
    const from = day / 2;
    const to = (3 * day) / 2;
    const result = computeFunnel(morning, from, to, occurrences);
    let previous: Set<string> | null = null;
    for (const step of result.steps) {
      const reached = subjectsReaching(morning, step.step, from, to, occurrences);
      expect(reached.size, `step ${step.step}`).toBe(step.reached);
      if (previous) for (const id of reached) expect(previous.has(id)).toBe(true);
      previous = reached;
    }
    expect(result.steps.at(-1)!.reached).toBeGreaterThan(0);
    expect(result.steps.at(-1)!.reached).toBeLessThan(result.entered);
  });

  it('read the occurrences up to the end of the window only: a step after it does not count', () => {
    const asked: [number, number][] = [];
    const from = 0;
    const to = day;
    // Coffee ten minutes before the end, the door ten minutes after it.
    const late = [
      { subjectId: 'late', key: keys[0]!, ts: to - 10 * minute },
      { subjectId: 'late', key: keys[1]!, ts: to + 10 * minute },
    ];
    const all = [...occurrences, ...late];
    const reached = individualsReachingStep(
      [morning],
      (_, a, b) => {
        asked.push([a, b]);
        return all.filter((o) => o.ts >= a && o.ts < b);
      },
      'morning',
      2,
      from,
      to,
    );
    expect(asked).toEqual([[from, to]]);
    expect(reached).toEqual(
      subjectsReaching(
        morning,
        2,
        from,
        to,
        all.filter((o) => o.ts < to),
      ),
    );
    expect(reached.has('late')).toBe(false);
    // Read past the end, as the funnel route reads a window beyond it, the late entry reaches the step.
    expect(subjectsReaching(morning, 2, from, to, all).has('late')).toBe(true);
  });

  it('are refused, naming the funnel, for an unknown funnel, one counted by collective, or a step past its last', () => {
    const refused = (name: string, step: number) => {
      try {
        individualFunnel([morning, leaving], name, step);
      } catch (error) {
        return error as { code: string; message: string };
      }
      return null;
    };
    expect(individualFunnel([morning, leaving], 'morning', 3)).toBe(morning);
    for (const [name, step] of [
      ['evening', 1],
      ['leaving', 1],
      ['morning', 4],
    ] as const) {
      const error = refused(name, step);
      expect(error?.code, name).toBe(errorCodes.validation);
      expect(error?.message).toContain(`"${name}"`);
    }
    expect(refused('leaving', 1)?.message).toContain('collective');
    expect(refused('morning', 4)?.message).toContain('3 steps');
  });
});
