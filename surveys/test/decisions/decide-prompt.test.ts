import { errorCodes, type PromptDecision } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { decidePrompt, holdoutDraw, type PromptDecisionInput, type PromptHistoryEntry, promptId, samplingDraw } from '../../src/index.js';
import { day, hour, input, minute, paris, survey } from './fixtures.js';

// 2026-06-10 12:00 in Paris (UTC+2).
const noon = Date.parse('2026-06-10T10:00:00Z');

const entry = (surveyId: string, sentAt: number, more: Partial<PromptHistoryEntry> = {}): PromptHistoryEntry => ({
  surveyId,
  promptId: `pr_${surveyId}_${sentAt}`,
  sentAt,
  decision: 'sent',
  ...more,
});

describe('a prompt decision', () => {
  it('sends a prompt due at the trigger plus the delay, expiring expiresAfter later, keyed by survey, person and trigger', () => {
    const decision = decidePrompt(input(noon, { survey: survey('nps', { delay: '10m', expiresAfter: '2h' }) }));
    expect(decision).toMatchObject({ decision: 'sent', surveyId: 'nps', surveyVersion: 1, personId: 'p1', trigger: `session:${noon}` });
    expect(decision.promptId).toBe(promptId({ surveyId: 'nps', personId: 'p1', trigger: `session:${noon}` }));
    expect(decision.sendAt).toBe(noon + 10 * minute);
    expect(decision.expiresAt).toBe(noon + 130 * minute);
  });

  it('checks in order: window, holdout, consent, sampling, expiry, quiet hours, cooldowns, then caps', () => {
    const people = Array.from({ length: 20 }, (_, i) => `person-${i}`);
    const held = people.find((p) => holdoutDraw('nps', p) < 0.5)!;
    const kept = people.find((p) => holdoutDraw('nps', p) >= 0.5)!;
    const keys = Array.from({ length: 20 }, (_, i) => `session:${i}`);
    const sampledOut = keys.find((k) => samplingDraw({ surveyId: 'nps', personId: kept, trigger: k }) >= 0.5)!;
    // 23:00 in Paris: quiet hours until 07:00, long after a one-hour expiry.
    const night = Date.parse('2026-06-10T21:00:00Z');
    const rules = {
      startsAt: new Date(night + hour).toISOString(),
      endsAt: new Date(night + 2 * hour).toISOString(),
      responseTarget: 10,
      holdout: 0.5,
      samplingRate: 0.5,
      quietHours: { from: '22:00', to: '07:00' },
      cooldown: { afterAnswer: '7d' },
      caps: { perDay: 1 },
    };
    const steps: [PromptDecision, Partial<PromptDecisionInput>][] = [
      ['not_started', {}],
      ['ended', { survey: survey('nps', { ...rules, startsAt: undefined, endsAt: new Date(night - hour).toISOString() }) }],
      ['closed', { survey: survey('nps', { ...rules, startsAt: undefined, endsAt: undefined }), answers: 10 }],
      ['holdout', { survey: survey('nps', { ...rules, startsAt: undefined, endsAt: undefined }), person: { id: held, consentsToSurveys: false }, answers: 0 }],
      ['no_consent', { person: { id: kept, consentsToSurveys: false } }],
      ['sampled_out', { person: { id: kept, consentsToSurveys: true }, trigger: { key: sampledOut, at: night } }],
      ['expired', { survey: survey('nps', { ...rules, startsAt: undefined, endsAt: undefined, samplingRate: 1 }), now: night + hour }],
      ['quiet_hours', { now: night }],
      ['cooldown', { survey: survey('nps', { ...rules, startsAt: undefined, endsAt: undefined, samplingRate: 1, quietHours: undefined }) }],
      ['capped', { history: [entry('nps', night - hour)] }],
      ['capped', { survey: survey('nps', { holdout: 0.5 }), globalCaps: { perDay: 1 } }],
      ['sent', { globalCaps: {} }],
    ];
    let current = input(night, {
      survey: survey('nps', rules),
      person: { id: held, consentsToSurveys: false },
      answers: 10,
      trigger: { key: sampledOut, at: night },
      now: night + hour,
      history: [entry('nps', night - 2 * day, { answeredAt: night - day })],
    });
    const decided = steps.map(([, change]) => {
      current = { ...current, ...change };
      return decidePrompt(current).decision;
    });
    expect(decided).toEqual(steps.map(([decision]) => decision));
  });

  it('is not started before startsAt, ended from endsAt on, closed once the response target is reached', () => {
    const window = { startsAt: '2026-06-10T10:05:00Z', endsAt: '2026-06-11T10:00:00Z', responseTarget: 100 };
    expect(decidePrompt(input(noon, { survey: survey('nps', window) })).decision).toBe('not_started');
    expect(decidePrompt(input(noon, { survey: survey('nps', { ...window, delay: '5m' }) })).decision).toBe('sent');
    expect(decidePrompt(input(noon + day - minute, { survey: survey('nps', window) })).decision).toBe('sent');
    expect(decidePrompt(input(noon + day, { survey: survey('nps', window) })).decision).toBe('ended');
    // Decided after the end, a prompt due before it would go out after it.
    expect(decidePrompt(input(noon + day - minute, { survey: survey('nps', window), now: noon + day })).decision).toBe('ended');
    const closed = decidePrompt(input(noon + hour, { survey: survey('nps', window), answers: 100 }));
    expect(closed).toMatchObject({ decision: 'closed', detail: "100 answers reached the survey's target of 100" });
    expect(decidePrompt(input(noon + hour, { survey: survey('nps', window), answers: 99 })).decision).toBe('sent');
  });

  it('expires a prompt decided once it could no longer be answered, and sends one decided late but in time at the decision', () => {
    const rules = survey('nps', { delay: '5m', expiresAfter: '1h' });
    const expiresAt = noon + 65 * minute;
    expect(decidePrompt(input(noon, { survey: rules, now: expiresAt }))).toMatchObject({ decision: 'expired', expiresAt });
    expect(decidePrompt(input(noon, { survey: rules, now: expiresAt + 30 * day })).decision).toBe('expired');
    expect(decidePrompt(input(noon, { survey: rules, now: expiresAt - 1 }))).toMatchObject({ decision: 'sent', sendAt: expiresAt - 1, expiresAt });
  });

  it('refuses a time zone Intl does not know, and reads calendar days in the default zone for a person without one', () => {
    expect(() => decidePrompt(input(noon, { person: { id: 'p1', timeZone: 'Mars/Olympus', consentsToSurveys: true } }))).toThrow(
      expect.objectContaining({ code: errorCodes.validation, message: '"Mars/Olympus" is not an IANA time zone' }),
    );
    // 23:30 UTC is already the next day in Tokyo, still the same day in New York.
    const late = Date.parse('2026-06-10T23:30:00Z');
    const rules = { survey: survey('nps', { caps: { perCalendarDay: 1 } }), history: [entry('nps', Date.parse('2026-06-10T13:00:00Z'))] };
    const nobody = { id: 'p1', consentsToSurveys: true };
    expect(decidePrompt(input(late, { ...rules, person: nobody, defaultTimeZone: 'Asia/Tokyo' })).decision).toBe('sent');
    expect(decidePrompt(input(late, { ...rules, person: nobody, defaultTimeZone: 'America/New_York' })).decision).toBe('capped');
  });
});

describe('quiet hours', () => {
  const quiet = { quietHours: { from: '22:00', to: '07:00' } };
  const at = (iso: string) => Date.parse(iso);

  it('defers a prompt due in quiet hours to their end when it has not expired by then', () => {
    // 06:30 in Paris (UTC+2), a one-hour expiry: sent at 07:00, still expiring at 07:30.
    const decision = decidePrompt(input(at('2026-06-10T04:30:00Z'), { survey: survey('nps', { ...quiet, expiresAfter: '1h' }) }));
    expect(decision).toMatchObject({ decision: 'sent', sendAt: at('2026-06-10T05:00:00Z'), expiresAt: at('2026-06-10T05:30:00Z') });
    expect(decision.detail).toBe('deferred from 2026-06-10 06:30 Europe/Paris to the end of quiet hours 22:00–07:00');
  });

  it('drops a prompt whose quiet hours end only after it expires', () => {
    const decision = decidePrompt(input(at('2026-06-10T21:00:00Z'), { survey: survey('nps', { ...quiet, expiresAfter: '1h' }) }));
    expect(decision).toMatchObject({ decision: 'quiet_hours', sendAt: at('2026-06-10T21:00:00Z') });
    expect(decision.detail).toBe(
      'due at 2026-06-10 23:00 Europe/Paris, in quiet hours 22:00–07:00, which end at 2026-06-11 07:00 Europe/Paris, once the prompt has expired',
    );
    expect(decidePrompt(input(at('2026-06-10T21:00:00Z'), { survey: survey('nps', { ...quiet, expiresAfter: '8h' }) })).decision).toBe('quiet_hours');
    expect(decidePrompt(input(at('2026-06-10T21:00:00Z'), { survey: survey('nps', { ...quiet, expiresAfter: '8h1m' }) })).sendAt).toBe(
      at('2026-06-11T05:00:00Z'),
    );
  });

  it('applies at the time a late decision sends, and leaves prompts outside them alone', () => {
    // Due at 21:50, decided at 22:05: going out now would be in quiet hours.
    const rules = survey('nps', { ...quiet, expiresAfter: '1h' });
    expect(decidePrompt(input(at('2026-06-10T19:50:00Z'), { survey: rules, now: at('2026-06-10T20:05:00Z') })).decision).toBe('quiet_hours');
    expect(decidePrompt(input(at('2026-06-10T19:50:00Z'), { survey: rules })).decision).toBe('sent');
    expect(decidePrompt(input(at('2026-06-10T05:00:00Z'), { survey: rules })).decision).toBe('sent');
  });

  it('ends at 07:00 local on the nights the clocks change in Paris', () => {
    const rules = survey('nps', { ...quiet, expiresAfter: '12h' });
    // 2026-03-29: 05:00 local is 03:00 UTC (summer time since 02:00 local); 07:00 local is 05:00 UTC.
    expect(decidePrompt(input(at('2026-03-28T22:30:00Z'), { survey: rules })).sendAt).toBe(at('2026-03-29T05:00:00Z'));
    // 2026-10-25: back to UTC+1 at 03:00 local; 07:00 local is 06:00 UTC.
    expect(decidePrompt(input(at('2026-10-24T21:30:00Z'), { survey: rules })).sendAt).toBe(at('2026-10-25T06:00:00Z'));
  });

  it('ends when the clock jumps past a skipped end, and at the right pass of a repeated one', () => {
    const rules = survey('nps', { quietHours: { from: '00:00', to: '02:30' }, expiresAfter: '12h' });
    // 02:30 does not exist on 2026-03-29 in Paris: the clock jumps from 02:00 to 03:00 at 01:00 UTC.
    expect(decidePrompt(input(at('2026-03-29T00:30:00Z'), { survey: rules })).sendAt).toBe(at('2026-03-29T01:00:00Z'));
    // 02:30 comes twice on 2026-10-25: 00:30 UTC (summer time), then 01:30 UTC.
    expect(decidePrompt(input(at('2026-10-24T23:00:00Z'), { survey: rules })).sendAt).toBe(at('2026-10-25T00:30:00Z'));
    // 02:15 on the second pass is quiet again, until the second 02:30.
    expect(decidePrompt(input(at('2026-10-25T01:15:00Z'), { survey: rules })).sendAt).toBe(at('2026-10-25T01:30:00Z'));
  });

  it('has none when they start and end at the same time', () => {
    const rules = survey('nps', { quietHours: { from: '22:00', to: '22:00' } });
    expect(decidePrompt(input(at('2026-06-10T20:30:00Z'), { survey: rules })).sendAt).toBe(at('2026-06-10T20:30:00Z'));
  });
});

describe('cooldowns', () => {
  const rules = survey('nps', { cooldown: { afterAnswer: '7d', afterDismissal: '1d' } });

  it('rest the survey for the person after an answer or a dismissal before the send time', () => {
    const answered = [entry('nps', noon - 7 * day - hour, { answeredAt: noon - 7 * day })];
    expect(decidePrompt(input(noon - minute, { survey: rules, history: answered })).decision).toBe('cooldown');
    expect(decidePrompt(input(noon - minute, { survey: rules, history: answered })).detail).toBe(
      'answered on 2026-06-03 12:00 Europe/Paris: no prompt of this survey for 7d, until 2026-06-10 12:00 Europe/Paris',
    );
    expect(decidePrompt(input(noon, { survey: rules, history: answered })).decision).toBe('sent');
    const dismissed = [entry('nps', noon - day - hour, { dismissedAt: noon - day + minute })];
    expect(decidePrompt(input(noon, { survey: rules, history: dismissed })).decision).toBe('cooldown');
    expect(decidePrompt(input(noon + minute, { survey: rules, history: dismissed })).decision).toBe('sent');
  });

  it('are not started by another survey, nor by an answer after the send time', () => {
    expect(decidePrompt(input(noon, { survey: rules, history: [entry('other', noon - hour, { answeredAt: noon - minute })] })).decision).toBe('sent');
    expect(decidePrompt(input(noon, { survey: rules, history: [entry('nps', noon + hour, { answeredAt: noon + 2 * hour })] })).decision).toBe('sent');
  });
});

describe('caps', () => {
  it('count sent prompts in any 24 hours and any 7 days, including prompts due after this one', () => {
    const daily = survey('nps', { caps: { perDay: 1 } });
    expect(decidePrompt(input(noon, { survey: daily, history: [entry('nps', noon - day + 1)] })).decision).toBe('capped');
    expect(decidePrompt(input(noon, { survey: daily, history: [entry('nps', noon - day)] })).decision).toBe('sent');
    // A prompt decided earlier, due three hours after this one.
    expect(decidePrompt(input(noon, { survey: daily, history: [entry('nps', noon + 3 * hour)] })).decision).toBe('capped');
    const weekly = survey('nps', { caps: { perWeek: 2 } });
    const twice = [entry('nps', noon - 6 * day), entry('nps', noon - 3 * day)];
    expect(decidePrompt(input(noon, { survey: weekly, history: twice }))).toMatchObject({
      decision: 'capped',
      detail: '2 prompts of this survey within 7 days (cap 2)',
    });
    expect(decidePrompt(input(noon + day, { survey: weekly, history: twice })).decision).toBe('sent');
    // Neither window before nor after holds more than one: one starting between them holds both.
    const around = [entry('nps', noon - 4 * day), entry('nps', noon + 2 * day)];
    expect(decidePrompt(input(noon, { survey: weekly, history: around })).decision).toBe('capped');
  });

  it('count only sent prompts, of this survey for its caps and of all surveys for the global ones, never the prompt itself', () => {
    const daily = survey('nps', { caps: { perDay: 1 } });
    const notSent = [entry('nps', noon - hour, { decision: 'quiet_hours' }), entry('nps', noon - hour, { decision: 'capped', promptId: 'x' })];
    expect(decidePrompt(input(noon, { survey: daily, history: notSent })).decision).toBe('sent');
    expect(decidePrompt(input(noon, { survey: daily, history: [entry('other', noon - hour)] })).decision).toBe('sent');
    const global = decidePrompt(input(noon, { survey: daily, history: [entry('other', noon - hour)], globalCaps: { perDay: 1 } }));
    expect(global).toMatchObject({ decision: 'capped', detail: '1 prompt of all surveys within 24 hours (cap 1)' });
    // Re-deciding a prompt already sent finds it sent again.
    const first = decidePrompt(input(noon, { survey: daily }));
    const again = decidePrompt(input(noon, { survey: daily, history: [{ ...entry('nps', first.sendAt), promptId: first.promptId }] }));
    expect(again).toEqual(first);
  });

  it('count a calendar day of the person, 23 hours long when the clocks go forward and 25 when they go back', () => {
    const calendar = survey('nps', { caps: { perCalendarDay: 1 } });
    const rolling = survey('nps', { caps: { perDay: 1 } });
    // 2026-03-29 in Paris runs from 23:00 UTC the day before to 22:00 UTC: 00:30 and 23:30 local are 22 hours apart.
    const spring = [entry('nps', Date.parse('2026-03-28T23:30:00Z'))];
    expect(decidePrompt(input(Date.parse('2026-03-29T21:30:00Z'), { survey: calendar, history: spring }))).toMatchObject({
      decision: 'capped',
      detail: '1 prompt of this survey on 2026-03-29 in Europe/Paris (cap 1)',
    });
    expect(decidePrompt(input(Date.parse('2026-03-29T22:00:00Z'), { survey: calendar, history: spring })).decision).toBe('sent');
    expect(decidePrompt(input(Date.parse('2026-03-28T22:59:00Z'), { survey: calendar, history: spring })).decision).toBe('sent');
    // 2026-10-25 runs from 22:00 UTC the day before to 23:00 UTC: 00:05 and 23:55 local are 24 h 50 min apart,
    // the same calendar day but not within 24 hours.
    const autumn = [entry('nps', Date.parse('2026-10-24T22:05:00Z'))];
    const lateThatDay = Date.parse('2026-10-25T22:55:00Z');
    expect(decidePrompt(input(lateThatDay, { survey: calendar, history: autumn })).decision).toBe('capped');
    expect(decidePrompt(input(lateThatDay, { survey: rolling, history: autumn })).decision).toBe('sent');
    expect(decidePrompt(input(Date.parse('2026-10-25T23:00:00Z'), { survey: calendar, history: autumn })).decision).toBe('sent');
  });
});

describe('holdout, consent and sampling', () => {
  it('never sends to the held-out people, who are those whose draw falls below the holdout share', () => {
    const rules = survey('nps', { holdout: 0.3 });
    for (let i = 0; i < 2_000; i++) {
      const personId = `person-${i}`;
      const decision = decidePrompt(input(noon + i * minute, { survey: rules, person: { id: personId, timeZone: paris, consentsToSurveys: true } }));
      expect(decision.decision).toBe(holdoutDraw('nps', personId) < 0.3 ? 'holdout' : 'sent');
    }
  });

  it('asks nobody who opted out of surveys', () => {
    const decision = decidePrompt(input(noon, { person: { id: 'p1', timeZone: paris, consentsToSurveys: false } }));
    expect(decision).toMatchObject({ decision: 'no_consent', detail: 'the person opted out of surveys' });
  });

  it('samples 10,000 triggers at 0.2 by their draws, within three standard deviations of the rate', () => {
    const rules = survey('nps', { samplingRate: 0.2 });
    let sent = 0;
    for (let i = 0; i < 10_000; i++) {
      const personId = `person-${i % 700}`;
      const key = `session:${i}`;
      const decision = decidePrompt(input(noon, { survey: rules, trigger: { key, at: noon }, person: { id: personId, consentsToSurveys: true } }));
      expect(decision.decision).toBe(samplingDraw({ surveyId: 'nps', personId, trigger: key }) < 0.2 ? 'sent' : 'sampled_out');
      if (decision.decision === 'sent') sent++;
    }
    // Binomial standard deviation √(0.2·0.8/10,000) = 0.004.
    expect(Math.abs(sent / 10_000 - 0.2)).toBeLessThan(0.012);
  });
});
