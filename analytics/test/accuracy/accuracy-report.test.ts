import type { Journey } from '@parcours/contracts';
import { buildJourneys } from '@parcours/firmware-sim';
import { describe, expect, it } from 'vitest';
import { computeAccuracy, type DerivedSessionInput, type TruthSessionInput } from '../../src/accuracy/accuracy-report.js';
import { matchSessions, scoreMatching } from '../../src/accuracy/session-matching.js';
import { compareTransitions } from '../../src/accuracy/transition-accuracy.js';
import { splitJourneys } from '../../src/journeys/journey-builder.js';

const min = 60_000;
const from = Date.UTC(2026, 2, 2);
const to = from + 600 * min;
const at = (m: number) => from + m * min;

const subjects = new Map([
  ['hh', { kind: 'collective' as const, type: 'household' }],
  ['ann', { kind: 'individual' as const, type: 'person' }],
  ['bob', { kind: 'individual' as const, type: 'person' }],
]);

const truthOf = (
  deviceId: string,
  deviceType: string,
  subjectId: string,
  user: string | null,
  actor: string | null,
  start: number,
  end: number,
): TruthSessionInput => ({
  deviceId,
  deviceType,
  subjectId,
  user,
  actor,
  startMs: at(start),
  endMs: at(end),
});
/** The derived session Parcours gives for a truth session when it gets everything right. */
const derivedOf = (t: TruthSessionInput, patch: Partial<DerivedSessionInput> = {}): DerivedSessionInput => ({
  id: `${t.deviceId}@${t.startMs}`,
  deviceId: t.deviceId,
  deviceType: t.deviceType,
  subjectId: t.subjectId,
  subjectKind: subjects.get(t.subjectId!)!.kind,
  actor: t.actor,
  inferredActor: null,
  inferenceConfidence: null,
  start: t.startMs,
  end: t.endMs,
  ...patch,
});

// Ann's morning: her coffee (a household machine that names her), her toothbrush; Bob's shower later.
const coffee = truthOf('coffee', 'coffee_machine', 'hh', 'ann', 'ann', 0, 2);
const brush = truthOf('brush', 'toothbrush', 'ann', 'ann', null, 5, 7);
const shower = truthOf('heater', 'water_heater', 'hh', 'bob', null, 100, 110);
const tv = truthOf('tv', 'tv', 'hh', null, null, 120, 180);
const lateTv = truthOf('tv', 'tv', 'hh', null, null, 590, 700); // still on when the window ends
const truth = [coffee, brush, shower, tv, lateTv];

/** Parcours' journeys of the derived sessions, as its journey builder cuts them (for the owner and the reported actor). */
function journeysOfDerived(derived: readonly DerivedSessionInput[]): Journey[] {
  const bySubject = new Map<string, DerivedSessionInput[]>();
  for (const d of derived) for (const id of new Set([d.subjectId, d.actor])) if (id !== null) bySubject.set(id, [...(bySubject.get(id) ?? []), d]);
  return [...bySubject].flatMap(([subjectId, list]) =>
    splitJourneys(
      { subjectId, subjectKind: subjects.get(subjectId)!.kind, subjectType: null },
      list.map((d) => ({ sessionId: d.id, deviceType: d.deviceType, start: d.start, end: d.end })),
      30 * min,
    ),
  );
}

const input = (derived: DerivedSessionInput[], events: DerivedSessionInput[] = []) => ({
  fromMs: from,
  toMs: to,
  truth,
  derived,
  derivedJourneys: journeysOfDerived(derived),
  subjects,
  // The derived journeys above leave out no device type: neither do those of the truth.
  journeysOf: (sessions: Parameters<typeof buildJourneys>[0]) => buildJourneys(sessions, 30 * min, () => false),
  gapMs: 30 * 60_000,
  ambient: () => false,
  events: events.map((e) => ({ deviceId: e.deviceId, ts: e.start, subjectId: e.subjectId, subjectKind: e.subjectKind, actor: e.actor })),
});

describe('session matching', () => {
  it('pairs one to one, closest first, and calls a pair outside the tolerance a near miss', () => {
    const a = { deviceId: 'd', deviceType: 't', startMs: 0, endMs: 100 };
    const b = { deviceId: 'd', deviceType: 't', startMs: 100, endMs: 200 };
    // One derived session spans both truth sessions: it overlaps both but is exact for neither.
    const merged = { deviceId: 'd', deviceType: 't', start: 0, end: 200 };
    const exactB = { deviceId: 'd', deviceType: 't', start: 100, end: 200 };
    const m = matchSessions([a, b], [merged, exactB]);
    expect(m.matched).toEqual([{ truth: b, derived: exactB }]);
    expect(m.nearMisses).toEqual([{ truth: a, derived: merged }]);
    expect(scoreMatching(m)).toMatchObject({ truth: 2, derived: 2, matched: 1, precision: 0.5, recall: 0.5, f1: 0.5 });
    expect(matchSessions([a, b], [merged, exactB], 100).matched).toHaveLength(2);
  });

  it('never pairs sessions of different devices', () => {
    const m = matchSessions([{ deviceId: 'a', deviceType: 't', startMs: 0, endMs: 10 }], [{ deviceId: 'b', deviceType: 't', start: 0, end: 10 }]);
    expect(scoreMatching(m)).toMatchObject({ precision: 0, recall: 0, f1: 0 });
  });
});

describe('the accuracy report', () => {
  it('scores a perfect derivation 1 everywhere, leaving out the session still open at the end', () => {
    const report = computeAccuracy(
      input(
        [coffee, brush, shower, tv].map((t) => derivedOf(t)),
        [derivedOf(coffee), derivedOf(brush)],
      ),
    );
    expect(report.sessions).toMatchObject({ truth: 4, derived: 4, matched: 4, f1: 1, excludedOpenAtEnd: 1, nearMisses: 0 });
    expect(report.attribution.sessions.decided).toMatchObject({ count: 2, subjectShare: 1, individualShare: 1 });
    // Nobody names Bob at the shower and nothing is inferred: wrong individual, but not a decided one.
    expect(report.attribution.sessions.inferred).toMatchObject({ count: 2, subjectRight: 2, individualRight: 1 });
    expect(report.attribution.events.decided).toMatchObject({ count: 2, individualShare: 1 });
    expect(report.transitions.knowable).toMatchObject({ truthTotal: 2, absoluteError: 0, relativeError: 0 });
    // The household's coffee and shower are 98 minutes apart: two journeys. Ann: coffee → toothbrush.
    expect(report.transitions.knowable.rows).toEqual([
      { subjectType: 'household', from: 'water_heater', to: 'tv', truth: 1, derived: 1 },
      { subjectType: 'person', from: 'coffee_machine', to: 'toothbrush', truth: 1, derived: 1 },
    ]);
    expect(report.targets.every((t) => t.met)).toBe(true);
  });

  it('counts a lost session, a spurious one, a wrong actor and the transitions they change', () => {
    const spurious: DerivedSessionInput = { ...derivedOf(tv), start: at(190), end: at(195) };
    const derived = [derivedOf(coffee, { actor: 'bob' }), derivedOf(shower), derivedOf(tv), spurious]; // the toothbrush session is lost
    const report = computeAccuracy(input(derived, [derivedOf(coffee, { actor: 'bob' })]));
    expect(report.sessions).toMatchObject({ truth: 4, derived: 4, matched: 3, precision: 0.75, recall: 0.75, f1: 0.75 });
    expect(report.sessions.byDeviceType.toothbrush).toMatchObject({ recall: 0, precision: 1 });
    expect(report.sessions.byDeviceType.tv).toMatchObject({ precision: 0.5, recall: 1 });
    // Named, so that the cause can be looked for.
    expect(report.sessions.unmatched).toEqual({
      nearMisses: [],
      missed: [{ deviceId: 'brush', deviceType: 'toothbrush', startMs: at(5), endMs: at(7) }],
      spurious: [{ id: spurious.id, deviceId: 'tv', deviceType: 'tv', start: at(190), end: at(195) }],
    });
    expect(report.attribution.sessions.decided).toMatchObject({ count: 1, subjectShare: 1, individualShare: 0 });
    expect(report.attribution.events.decided).toMatchObject({ count: 1, individualRight: 0 });
    // Ann's coffee → toothbrush is gone; Bob now has a lone coffee (no transition); the spurious tv adds tv → tv.
    expect(report.transitions.knowable).toMatchObject({ truthTotal: 2, derivedTotal: 2, absoluteError: 2, relativeError: 1 });
    expect(report.targets.filter((t) => !t.met).map((t) => t.name)).toEqual([
      'session F1',
      'sessions: right individual (decided)',
      'events: right individual (decided)',
      'transition count error (knowable)',
    ]);
  });

  it('leaves out the journeys a session still open at the end could join, on both sides', () => {
    // A kettle 20 minutes before the tv still on at the end: in Parcours the tv closed early and joined
    // the kettle's journey; in the truth it is open, and the kettle's journey could still grow.
    const kettle = truthOf('kettle', 'kettle', 'hh', null, null, 560, 570);
    const derived = [coffee, brush, shower, tv, kettle].map((t) => derivedOf(t)).concat(derivedOf(lateTv, { end: at(595) }));
    const report = computeAccuracy({ ...input(derived), truth: [...truth, kettle] });
    expect(report.transitions.knowable).toMatchObject({ truthTotal: 2, derivedTotal: 2, absoluteError: 0 });
  });

  it('compares an inferred individual where nothing decides', () => {
    const report = computeAccuracy(input([coffee, brush, tv].map((t) => derivedOf(t)).concat(derivedOf(shower, { inferredActor: 'bob' }))));
    expect(report.attribution.sessions.inferred).toMatchObject({ count: 2, individualRight: 2, individualShare: 1 });
    // Bob's shower is in the truth's journeys of every real user, never in the knowable ones.
    expect(report.transitions.all.truthTotal).toBe(report.transitions.knowable.truthTotal);
  });

  it('meets the event targets when no device sends events (telemetry-only fleets): nothing to attribute, nothing wrong', () => {
    const report = computeAccuracy(input([coffee, brush, shower, tv].map((t) => derivedOf(t))));
    expect(report.attribution.events.decided.count + report.attribution.events.inferred.count).toBe(0);
    expect(report.targets.filter((t) => !t.met).map((t) => t.name)).toEqual([]);
  });

  it('judges the inference only on sessions it is for: an ambient device is used by nobody in particular', () => {
    const derived = [coffee, brush, shower, tv].map((t) => derivedOf(t));
    expect(computeAccuracy(input(derived)).inference).toMatchObject({ sessions: 1, inferred: 0 });
    expect(computeAccuracy({ ...input(derived), ambient: (type) => type === 'water_heater' }).inference).toMatchObject({ sessions: 0, inferred: 0 });
  });
});

describe('transitions', () => {
  it('counts consecutive steps per subject type and the L1 error over the truth total', () => {
    const typeOf = (id: string) => (id.startsWith('hh') ? 'household' : 'person');
    const result = compareTransitions(
      [
        { subjectId: 'hh1', path: 'a>b>c' },
        { subjectId: 'p1', path: 'a>b' },
      ],
      [
        { subjectId: 'hh1', path: 'a>b' },
        { subjectId: 'p1', path: 'a>b>b' },
      ],
      typeOf,
    );
    expect(result.rows).toEqual([
      { subjectType: 'household', from: 'a', to: 'b', truth: 1, derived: 1 },
      { subjectType: 'household', from: 'b', to: 'c', truth: 1, derived: 0 },
      { subjectType: 'person', from: 'a', to: 'b', truth: 1, derived: 1 },
      { subjectType: 'person', from: 'b', to: 'b', truth: 0, derived: 1 },
    ]);
    expect(result).toMatchObject({ truthTotal: 3, derivedTotal: 3, absoluteError: 2 });
    expect(result.relativeError).toBeCloseTo(2 / 3);
  });
});
