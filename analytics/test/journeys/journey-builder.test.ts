import type { UsageSession } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { JourneyBuilder, splitJourneys, type JourneyRules, type OpenSessionLike } from '../../src/journeys/journey-builder.js';

const minute = 60_000;
const gap = 30 * minute;
const types: Record<string, string> = { ana: 'person', ben: 'person' };
const members: Record<string, string[]> = { home: ['ana', 'ben'] };
const rules: JourneyRules = {
  gapMs: gap,
  individualType: (id) => types[id] ?? null,
  // Ben left home at minute 60.
  membersAt: (collective, t) => (members[collective] ?? []).filter((id) => id !== 'ben' || t < 60 * minute),
  ambient: (deviceType) => deviceType === 'thermostat',
};

function session(deviceType: string, start: number, end: number, owner: Partial<UsageSession> = {}): UsageSession {
  return {
    id: `${deviceType}@${start}`,
    deviceId: deviceType,
    deviceType,
    subjectId: 'home',
    subjectKind: 'collective',
    subjectType: 'household',
    actor: null,
    inferredActor: null,
    inferenceConfidence: null,
    start: start * minute,
    end: end * minute,
    durationS: (end - start) * 60,
    events: 2,
    closedBy: 'stop',
    ...owner,
  };
}
const ana = { subjectId: 'ana', subjectKind: 'individual', subjectType: 'person' } as const;

describe('splitJourneys', () => {
  it('orders steps by start and cuts where the gap after the latest end is exceeded', () => {
    const steps = [session('shower', 10, 20), session('coffee_machine', 0, 5), session('car', 50, 70), session('tv', 101, 120)].map((s) => ({
      sessionId: s.id,
      deviceType: s.deviceType,
      start: s.start,
      end: s.end,
    }));
    const journeys = splitJourneys({ subjectId: 'home', subjectKind: 'collective', subjectType: 'household' }, steps, gap);
    expect(journeys.map((j) => [j.id, j.path, j.steps, j.start, j.end, j.durationS])).toEqual([
      ['home@0', 'coffee_machine>shower>car', 3, 0, 70 * minute, 70 * 60],
      ['home@6060000', 'tv', 1, 101 * minute, 120 * minute, 19 * 60],
    ]);
  });

  it('measures the gap from the latest end, not the previous step (a long session bridges)', () => {
    const steps = [session('tv', 0, 120), session('lamp', 10, 12), session('oven', 140, 150)].map((s) => ({
      sessionId: s.id,
      deviceType: s.deviceType,
      start: s.start,
      end: s.end,
    }));
    expect(splitJourneys(ana, steps, gap).map((j) => j.path)).toEqual(['tv>lamp>oven']);
  });

  it('is deterministic when steps start together, whatever their input order', () => {
    const a = session('tv', 0, 5);
    const b = session('lamp', 0, 5);
    const steps = (list: UsageSession[]) => list.map((s) => ({ sessionId: s.id, deviceType: s.deviceType, start: s.start, end: s.end }));
    expect(splitJourneys(ana, steps([a, b]), gap)).toEqual(splitJourneys(ana, steps([b, a]), gap));
    expect(splitJourneys(ana, steps([a, b]), gap)[0]!.path).toBe('lamp>tv');
  });
});

describe('JourneyBuilder', () => {
  it('counts a session for its subject and for its reported actor, not for an inferred one', () => {
    const builder = new JourneyBuilder(rules);
    builder.add([
      session('coffee_machine', 0, 5, { actor: 'ana' }),
      session('tv', 10, 20, { inferredActor: 'ben', inferenceConfidence: 0.8 }),
      session('phone', 12, 14, { subjectId: 'ana', subjectKind: 'individual', subjectType: 'person', actor: 'ana' }),
    ]);
    const journeys = builder.advance(200 * minute, []);
    expect(journeys.map((j) => [j.subjectId, j.subjectKind, j.subjectType, j.path])).toEqual([
      ['ana', 'individual', 'person', 'coffee_machine>phone'],
      ['home', 'collective', 'household', 'coffee_machine>tv'],
    ]);
    expect(builder.pendingJourneys()).toEqual([]);
  });

  it('closes a journey only once the watermark is past its end plus the gap', () => {
    const builder = new JourneyBuilder(rules);
    builder.add([session('coffee_machine', 0, 5)]);
    expect(builder.advance(35 * minute, [])).toEqual([]);
    builder.add([session('shower', 30, 40)]);
    expect(builder.advance(70 * minute, [])).toEqual([]);
    expect(builder.advance(70 * minute + 1, [])).toEqual([expect.objectContaining({ path: 'coffee_machine>shower', steps: 2 })]);
  });

  it('holds a journey that a still-open session of the subject could join, and closes the earlier ones', () => {
    const builder = new JourneyBuilder(rules);
    builder.add([session('lamp', 0, 5), session('coffee_machine', 100, 105)]);
    const tvOpen: OpenSessionLike = { deviceType: 'tv', subjectId: 'home', subjectKind: 'collective', actor: null, start: 110 * minute };
    expect(builder.advance(300 * minute, [tvOpen]).map((j) => j.path)).toEqual(['lamp']);
    builder.add([session('tv', 110, 280)]);
    expect(builder.advance(320 * minute, []).map((j) => j.path)).toEqual(['coffee_machine>tv']);
  });

  it("holds the journeys of its collective's members at its start for a shared session with no actor yet, and no one else's", () => {
    const builder = new JourneyBuilder(rules);
    const personal = (id: string) => ({ subjectId: id, subjectKind: 'individual', subjectType: 'person', deviceId: `${id}-phone` }) as const;
    builder.add(['ana', 'ben', 'cleo'].map((id) => ({ ...session('phone', 0, 5, personal(id)), id: `${id}-phone@0` })));
    builder.add([session('printer', 0, 5, { subjectId: 'office', subjectType: 'workplace' })]);
    const shared = (start: number): OpenSessionLike => ({ deviceType: 'tv', subjectId: 'home', subjectKind: 'collective', actor: null, start: start * minute });
    expect(builder.advance(100 * minute, [shared(20)]).map((j) => j.subjectId)).toEqual(['cleo', 'office']);
    // Ben was no member any more when the second session began: it holds Ana's journey only.
    const later = new JourneyBuilder(rules);
    later.add(['ana', 'ben'].map((id) => ({ ...session('phone', 40, 45, personal(id)), id: `${id}-phone@40` })));
    expect(later.advance(200 * minute, [shared(70)]).map((j) => j.subjectId)).toEqual(['ben']);
  });

  it('leaves ambient sessions out of journeys: they neither hold nor bridge a gap', () => {
    const builder = new JourneyBuilder(rules);
    builder.add([session('coffee_machine', 0, 5), session('thermostat', 10, 600), session('coffee_machine', 300, 305)]);
    const heating: OpenSessionLike = { deviceType: 'thermostat', subjectId: 'home', subjectKind: 'collective', actor: null, start: 620 * minute };
    expect(builder.advance(700 * minute, [heating]).map((j) => [j.path, j.sessions])).toEqual([
      ['coffee_machine', ['coffee_machine@0']],
      ['coffee_machine', ['coffee_machine@300']],
    ]);
    expect(builder.pendingJourneys()).toEqual([]);
  });

  it('resumes from its pending state as plain data, and replaces a session added twice', () => {
    const first = new JourneyBuilder(rules);
    first.add([session('lamp', 0, 5)]);
    const second = new JourneyBuilder(rules, structuredClone(first.pendingJourneys()));
    second.add([session('lamp', 0, 5), session('tv', 10, 12)]);
    expect(second.advance(100 * minute, [])).toEqual([expect.objectContaining({ id: 'home@0', steps: 2, path: 'lamp>tv', sessions: ['lamp@0', 'tv@10'] })]);
  });
});
