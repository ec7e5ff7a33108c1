import { seededRandom } from '@parcours/sampling';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { audit } from './audit.js';
import { paris, survey } from './fixtures.js';
import {
  type Outcome,
  type SimulatedPerson,
  type SimulatedTrigger,
  type SimulationRules,
  shuffled,
  simulate,
  simulatedPeople,
  simulatedTriggers,
} from './simulation.js';

// Five weeks around each change of clocks in Paris: forward on 2026-03-29, back on 2026-10-25.
const spans: [number, number][] = [
  [Date.parse('2026-03-15T00:00:00Z'), Date.parse('2026-04-19T00:00:00Z')],
  [Date.parse('2026-10-04T00:00:00Z'), Date.parse('2026-11-08T00:00:00Z')],
];
const quietHours = { from: '22:00', to: '07:00' };

const rules: SimulationRules = {
  surveys: new Map(
    [
      survey('wash', {
        delay: '5m',
        expiresAfter: '2h',
        samplingRate: 0.7,
        holdout: 0.15,
        caps: { perDay: 1, perWeek: 3 },
        cooldown: { afterAnswer: '7d', afterDismissal: '1d' },
        quietHours,
      }),
      survey('coffee', { expiresAfter: '30m', caps: { perCalendarDay: 1, perWeek: 3 }, cooldown: { afterAnswer: '7d' }, quietHours }),
      // A long expiry: prompts due at night are deferred to the morning.
      survey('journey', {
        delay: '1h',
        expiresAfter: '10h',
        caps: { perCalendarDay: 1, perWeek: 3 },
        cooldown: { afterAnswer: '7d', afterDismissal: '2d' },
        quietHours,
      }),
    ].map((s) => [s.id, s]),
  ),
  globalCaps: { perDay: 3, perCalendarDay: 2, perWeek: 5 },
};
const surveyIds = [...rules.surveys.keys()];

interface Run {
  person: SimulatedPerson;
  triggers: SimulatedTrigger[];
  outcomes: Outcome[];
}

const run = (person: SimulatedPerson, seed: number, with_ = rules): Run => {
  const triggers = simulatedTriggers(surveyIds, spans, 5, seed);
  return { person, triggers, outcomes: simulate(person, triggers, with_) };
};

describe('prompt decisions over ten weeks of random triggers around both changes of clocks, fed back into each person’s history', () => {
  let runs: Run[];
  beforeAll(() => {
    runs = simulatedPeople(40, spans, 11).map((person, i) => run(person, 1_000 + i));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('send no prompt that breaks a cap, a cooldown, quiet hours, expiry, consent, holdout or sampling', () => {
    for (const { person, outcomes } of runs) expect(audit(person, outcomes, rules), person.id).toEqual([]);
  });

  it('meet every rule on the way', () => {
    const outcomes = runs.flatMap((r) => r.outcomes);
    const decisions = outcomes.map((o) => o.decision);
    const count = (test: (detail: string, decision: string) => boolean) => decisions.filter((d) => test(d.detail, d.decision)).length;
    for (const decision of ['sent', 'sampled_out', 'holdout', 'no_consent', 'expired', 'quiet_hours', 'cooldown', 'capped'])
      expect(
        count((_, d) => d === decision),
        decision,
      ).toBeGreaterThan(20);
    for (const rule of [
      'of this survey within 24 hours',
      'of this survey within 7 days',
      'of this survey on',
      'of all surveys within 24 hours',
      'of all surveys on',
      'of all surveys within 7 days',
    ])
      expect(
        count((detail) => detail.includes(rule)),
        rule,
      ).toBeGreaterThan(0);
    expect(count((detail) => detail.startsWith('answered on'))).toBeGreaterThan(5);
    expect(count((detail) => detail.startsWith('dismissed on'))).toBeGreaterThan(5);
    expect(count((detail, d) => d === 'sent' && detail.startsWith('deferred'))).toBeGreaterThan(20);
    // Sent in Paris on the 23-hour and the 25-hour day.
    const parisDates = runs
      .filter((r) => (r.person.timeZone ?? paris) === paris)
      .flatMap((r) => r.outcomes.filter((o) => o.decision.decision === 'sent'))
      .map((o) => new Date(o.decision.sendAt).toLocaleDateString('en-CA', { timeZone: paris }));
    expect(parisDates).toContain('2026-03-29');
    expect(parisDates).toContain('2026-10-25');
  });

  it('would be caught breaking each rule: the same people decided without caps, cooldowns nor quiet hours', () => {
    const loose: SimulationRules = {
      surveys: new Map([...rules.surveys].map(([id, s]) => [id, { ...s, definition: { ...s.definition, caps: {}, cooldown: {}, quietHours: undefined } }])),
      globalCaps: {},
    };
    const people = simulatedPeople(3, spans, 11);
    const violations = people.flatMap((person, i) => audit(person, run(person, 1_000 + i, loose).outcomes, rules));
    for (const kind of [
      'perDay all surveys',
      'perWeek all surveys',
      'perCalendarDay all surveys',
      'perDay wash',
      'perWeek coffee',
      'perCalendarDay journey',
      'cooldown',
      'quiet hours',
    ])
      expect(
        violations.some((v) => v.startsWith(kind)),
        kind,
      ).toBe(true);
  });

  it('decide the same whatever the order triggers arrive and the history is handed over in, and whatever the wall clock says', () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.parse('2031-01-01T00:00:00Z'));
    const random = seededRandom(5);
    for (const { person, triggers, outcomes } of runs.slice(0, 6)) {
      const replay = simulate(person, shuffled(triggers, random), rules, random);
      expect(replay.map((o) => o.decision)).toEqual(outcomes.map((o) => o.decision));
    }
  });
});
