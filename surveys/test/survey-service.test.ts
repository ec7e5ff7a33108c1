import { errorCodes, funnelsSchema, ParcoursError, ParcoursInputError, surveySchema, type SurveyInput } from '@parcours/contracts';
import { migrate } from '@parcours/gateway';
import BetterSqlite3 from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { surveyMigrations } from '../src/migrations.js';
import { surveyAsWritten } from '../src/survey-as-written.js';
import { SurveyService } from '../src/survey-service.js';
import { SurveyStore } from '../src/survey-store.js';

const hour = 3_600_000;
const t0 = Date.UTC(2026, 2, 2, 9);
let now = t0;
let service: SurveyService;
const funnels = funnelsSchema.parse([
  { name: 'morning', steps: [{ deviceType: 'coffee_machine' }, { eventType: 'door.opened' }], window: '1h', countBy: 'individual' },
  { name: 'household', steps: [{ deviceType: 'coffee_machine' }, { deviceType: 'kettle' }], window: '1h', countBy: 'collective' },
]);

const survey = (fields: Partial<SurveyInput> = {}) =>
  surveySchema.parse({
    name: 'After coffee',
    questions: [{ kind: 'nps', id: 'recommend', text: 'Would you recommend it?' }],
    triggers: [{ on: 'session_closed', deviceType: 'coffee_machine' }],
    ...fields,
  });

const failure = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof ParcoursError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

beforeEach(() => {
  const db = new BetterSqlite3(':memory:');
  db.exec('CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  migrate(db, surveyMigrations);
  now = t0;
  service = new SurveyService({ store: new SurveyStore(db), funnels, now: () => now });
});

describe('survey versions', () => {
  it('resolves the start of each version when it is made, and keeps every version as made', () => {
    const created = service.create({ id: 'coffee', ...survey() });
    expect(created).toMatchObject({ id: 'coffee', version: 1, createdAt: t0, state: 'open', closed: null });
    expect(created.survey.startsAt).toBe(t0);
    now = t0 + hour;
    const changed = service.update('coffee', survey({ name: 'After a coffee', samplingRate: 0.5 }));
    expect(changed).toMatchObject({ version: 2, createdAt: t0 + hour, survey: { startsAt: t0 + hour, samplingRate: 0.5 } });
    expect(service.require('coffee', 1).survey).toEqual({ ...survey(), startsAt: t0 });
    expect(service.require('coffee').version).toBe(2);
  });

  it('generates an id when none is given, and refuses one already taken', () => {
    const generated = service.create(survey());
    expect(generated.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(failure(() => service.create({ id: generated.id, ...survey() })).code).toBe(errorCodes.conflict);
    expect(service.require(generated.id).version).toBe(1);
  });

  it('says which of a survey or a version does not exist', () => {
    service.create({ id: 'coffee', ...survey() });
    expect(failure(() => service.require('coffee', 2)).message).toBe('survey coffee has no version 2');
    expect(failure(() => service.require('tea')).message).toBe('survey tea does not exist');
    expect(failure(() => service.update('tea', survey())).code).toBe(errorCodes.notFound);
    expect(failure(() => service.close('tea')).code).toBe(errorCodes.notFound);
  });

  it('refuses a survey that would end before its default start, locating endsAt', () => {
    const refused = failure(() => service.create({ id: 'late', ...survey({ endsAt: new Date(t0 - hour).toISOString() }) }));
    expect(refused).toBeInstanceOf(ParcoursInputError);
    expect((refused as ParcoursInputError).details.map((d) => d.path)).toEqual(['body.endsAt']);
    expect(failure(() => service.require('late')).code).toBe(errorCodes.notFound);
  });
});

describe('funnel triggers', () => {
  const withFunnel = (funnel: string, step: number) => survey({ triggers: [{ on: 'session_closed' }, { on: 'funnel_step', funnel, step }] });

  it('takes a step of a declared funnel counted by individual, in a new survey and a new version', () => {
    expect(service.create({ id: 'coffee', ...withFunnel('morning', 2) }).survey.triggers[1]).toEqual({ on: 'funnel_step', funnel: 'morning', step: 2 });
    expect(service.update('coffee', withFunnel('morning', 1)).version).toBe(2);
  });

  it('refuses a funnel not declared, one counted by collective and a step the funnel does not have, naming the trigger', () => {
    const refusals = [withFunnel('evening', 1), withFunnel('household', 1), withFunnel('morning', 3)].map((s) => failure(() => service.create(s)));
    expect(refusals.map((e) => e.code)).toEqual([errorCodes.triggerFunnel, errorCodes.triggerFunnel, errorCodes.triggerFunnel]);
    expect(refusals.map((e) => e.message)).toEqual([
      'triggers[1]: no funnel "evening" is declared in analytics.funnels (morning, household are)',
      'triggers[1]: the funnel "household" is counted by collective: it tells no person who reached a step',
      'triggers[1]: the funnel "morning" has 2 steps: there is no step 3',
    ]);
    service.create({ id: 'coffee', ...survey() });
    expect(failure(() => service.update('coffee', withFunnel('household', 2))).code).toBe(errorCodes.triggerFunnel);
    expect(service.list({ limit: 10, offset: 0 }).total).toBe(1);
  });
});

describe('closing', () => {
  it('keeps when and why a survey first closed; a new version opens it again', () => {
    service.create({ id: 'coffee', ...survey() });
    now = t0 + hour;
    expect(service.close('coffee')).toMatchObject({ state: 'closed', closed: { at: t0 + hour, reason: 'manual' } });
    now = t0 + 2 * hour;
    expect(service.close('coffee', { reason: 'target_reached' }).closed).toEqual({ at: t0 + hour, reason: 'manual' });
    const reopened = service.update('coffee', survey());
    expect(reopened).toMatchObject({ version: 2, state: 'open', closed: null });
    expect(service.require('coffee', 1).state).toBe('open');
  });

  it('does not close a newer version for what was decided on an earlier one', () => {
    service.create({ id: 'coffee', ...survey({ responseTarget: 10 }) });
    service.update('coffee', survey({ responseTarget: 20 }));
    expect(service.close('coffee', { reason: 'target_reached', version: 1 }).state).toBe('open');
    expect(service.close('coffee', { reason: 'target_reached', version: 2 }).closed?.reason).toBe('target_reached');
  });

  it('closes as ended the open surveys whose latest version has ended, and those only', () => {
    const ends = (at: number) => survey({ endsAt: new Date(at).toISOString() });
    service.create({ id: 'a-ended', ...ends(t0 + hour) });
    service.create({ id: 'b-running', ...ends(t0 + 3 * hour) });
    service.create({ id: 'c-closed', ...ends(t0 + hour) });
    service.create({ id: 'd-endless', ...survey() });
    service.close('c-closed');
    const closed = service.closeEnded(t0 + hour);
    expect(closed.map((s) => [s.id, s.closed])).toEqual([['a-ended', { at: t0 + hour, reason: 'ended' }]]);
    expect(service.require('c-closed').closed?.reason).toBe('manual');
    expect(service.closeEnded(t0 + hour)).toEqual([]);
  });
});

describe('active surveys', () => {
  it('are the open ones whose latest version’s window holds the instant, its start in and its end out', () => {
    const window = (from: number, to?: number) =>
      survey({ startsAt: new Date(from).toISOString(), ...(to === undefined ? {} : { endsAt: new Date(to).toISOString() }) });
    service.create({ id: 'a', ...window(t0, t0 + 2 * hour) });
    service.create({ id: 'b', ...window(t0 + hour) });
    service.create({ id: 'c', ...window(t0 - hour) });
    service.close('c');
    service.create({ id: 'd', ...window(t0 - hour) });
    service.update('d', window(t0 + 5 * hour));
    const active = (at: number) => service.activeSurveys(at).map((s) => `${s.id}@${s.version}`);
    expect(active(t0 - 1)).toEqual([]);
    expect(active(t0)).toEqual(['a@1']);
    expect(active(t0 + hour)).toEqual(['a@1', 'b@1']);
    expect(active(t0 + 2 * hour)).toEqual(['b@1']);
    expect(active(t0 + 5 * hour)).toEqual(['b@1', 'd@2']);
  });
});

describe('listing', () => {
  it('pages the surveys at their latest version by id, in one state when asked', () => {
    for (const id of ['e', 'b', 'd', 'a', 'c']) service.create({ id, ...survey() });
    service.update('d', survey());
    service.close('b');
    const page = service.list({ limit: 2, offset: 2 });
    expect(page.total).toBe(5);
    expect(page.items.map((s) => `${s.id}@${s.version}`)).toEqual(['c@1', 'd@2']);
    expect(service.list({ state: 'closed', limit: 10, offset: 0 }).items.map((s) => s.id)).toEqual(['b']);
    expect(service.list({ state: 'open', limit: 10, offset: 0 }).total).toBe(4);
  });
});

describe('a survey as written', () => {
  it('parses back to the stored definition, every duration and instant included', () => {
    const full = {
      ...survey({
        questions: [
          {
            kind: 'single',
            id: 'why',
            text: 'Why?',
            choices: [
              { id: 'taste', label: 'Taste' },
              { id: 'price', label: 'Price' },
            ],
            branches: [{ choices: ['price'], goTo: 'end' }],
          },
          { kind: 'rating', id: 'score', text: 'Score?', branches: [{ max: 2, goTo: 'comment' }] },
          { kind: 'text', id: 'comment', text: 'Tell us more', required: false },
        ],
        triggers: [
          { on: 'session_closed', minDuration: '1m30s' },
          { on: 'journey_step', step: 2 },
        ],
        delay: '5m',
        cooldown: { afterAnswer: '7d', afterDismissal: '1d12h' },
        quietHours: { from: '22:00', to: '07:30' },
        expiresAfter: '2h',
        endsAt: '2026-04-01T00:00:00.000Z',
      }),
      startsAt: t0,
    };
    expect(surveySchema.parse(surveyAsWritten(full))).toEqual(full);
    expect(surveyAsWritten(full)).toMatchObject({ delay: '5m', cooldown: { afterDismissal: '1d12h' }, startsAt: '2026-03-02T09:00:00.000Z' });
  });
});
