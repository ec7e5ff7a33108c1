import type { LogReader, LogRecord, UsageSession } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { ActorInference, inferActor, isActivity, memberEvidence } from '../../src/sessions/actor-inference.js';
import { likelihoodRatio, memberPosteriors } from '../../src/sessions/inference-model.js';
import { logRecord } from './log-records.js';

const minute = 60_000;
const window = 30 * minute;
const rules = {
  idleTimeoutMs: 30 * minute,
  maxLengthMs: 24 * 60 * minute,
  types: {
    ebike: { threshold: { metric: 'speed_kmh', comparison: 'above' as const, threshold: 3, hysteresis: 0, closeAfter: 0, minDuration: 0 } },
    thermostat: { ambient: true },
  },
};
const none = { inferredActor: null, inferenceConfidence: null };
/** A model of this test's own, in 10-minute bins: a user's phone is used 10 to 20 minutes after the start, anyone else's at any time. */
const ratios = { offset: [0.00295, 0.00332, 0.0024, 0.115, 20.4, 1.42], silent: 0.000452 };
const uncalibrated = { slope: 1, intercept: 0 };
const model = { edgesMin: [-30, -20, -10, 0, 10, 20, 30], byDeviceType: { phone: ratios, watch: ratios }, temperature: 1, calibration: uncalibrated };
/** Every member owns a phone, unless told otherwise. */
const phones = (_member: string) => ['phone'];

const ofIndividual = (subjectId: string) => ({ subjectId, subjectKind: 'individual' as const, subjectType: 'person' });
/** A use of the individual's phone (an event). */
const personal = (subjectId: string, ts: number): LogRecord =>
  logRecord(`${subjectId}-phone`, ts, { deviceType: 'phone', ...ofIndividual(subjectId), type: 'usage.start' });
/** A telemetry reading of the individual's device. */
const reading = (subjectId: string, deviceType: string, ts: number, metrics: Record<string, number>): LogRecord =>
  logRecord(`${subjectId}-${deviceType}`, ts, { deviceType, ...ofIndividual(subjectId), channel: 'telemetry', metrics });

const shared = (actor: string | null = null, start = 60 * minute): UsageSession => ({
  id: `tv@${start}`,
  deviceId: 'tv',
  deviceType: 'tv',
  subjectId: 'home',
  subjectKind: 'collective',
  subjectType: 'household',
  actor,
  inferredActor: null,
  inferenceConfidence: null,
  start,
  end: start + 30 * minute,
  durationS: 1800,
  events: 2,
  closedBy: 'stop',
});

const infer = (session: UsageSession, members: string[], records: LogRecord[], minConfidence = 0.5, deviceTypes = phones) =>
  inferActor(session, { members, deviceTypes, evidence: memberEvidence(records, session.start, rules) }, minConfidence, model);

describe('inferActor', () => {
  it('names the likeliest member, with its probability as the confidence', () => {
    // Ana 15 minutes after the start, as a user's own device is; Ben 5 minutes after, as anyone's may be.
    const records = [personal('ana', 75 * minute), personal('ben', 65 * minute)];
    expect(infer(shared(), ['ana', 'ben'], records)).toEqual({ inferredActor: 'ana', inferenceConfidence: 0.994 });
    // Ben as likely as Ana: a coin toss, inferred at 0.5 and not above.
    const rivals = [personal('ana', 75 * minute), personal('ben', 72 * minute)];
    expect(infer(shared(), ['ana', 'ben'], rivals)).toEqual({ inferredActor: 'ana', inferenceConfidence: 0.5 });
    expect(infer(shared(), ['ana', 'ben'], rivals, 0.6)).toEqual(none);
  });

  it('infers nothing when a device reported its actor, when no member was active near, or for a non-member', () => {
    const records = [personal('ana', 75 * minute), personal('zoe', 75 * minute)];
    expect(infer(shared('ben'), ['ana', 'ben'], records)).toEqual(none);
    expect(infer(shared(), ['ben'], records)).toEqual(none);
    expect(infer(shared(null, 200 * minute), ['ana'], records)).toEqual(none);
  });

  it('infers nobody below the minimum confidence: a member unheard of may as well be the user', () => {
    // Ana just before the start, Ben's phone silent: Ana is unlikely.
    expect(infer(shared(), ['ana', 'ben'], [personal('ana', 55 * minute)])).toEqual(none);
    expect(infer(shared(), ['ana', 'ben'], [personal('ana', 55 * minute)], 0)).toEqual({ inferredActor: 'ana', inferenceConfidence: 0.002 });
  });

  it('infers nobody when a member owns no personal device the model reads: that member’s use would show nowhere', () => {
    const records = [personal('ana', 75 * minute), personal('ben', 65 * minute)];
    const owned = (toaster: string) => (id: string) => (id === toaster ? ['toaster'] : ['phone']);
    expect(infer(shared(), ['ana', 'ben', 'cleo'], records, 0.5, owned('cleo'))).toEqual(none);
    expect(infer(shared(), ['ana', 'ben', 'cleo'], records, 0.5, (id) => (id === 'cleo' ? [] : ['phone']))).toEqual(none);
    expect(infer(shared(), ['ana', 'ben', 'cleo'], records, 0.5, owned('nobody'))).toMatchObject({ inferredActor: 'ana' });
  });
});

describe('memberPosteriors', () => {
  it('shares the probability among the members by their likelihood ratios, an unobserved member keeping its prior', () => {
    const evidence = new Map([
      ['ana', { devices: new Map([['phone', 15 * minute]]) }],
      ['ben', { devices: new Map([['phone', null]]) }],
    ]);
    const p = memberPosteriors(['ana', 'ben', 'cleo'], evidence, model);
    expect([...p.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p.get('ana')).toBeCloseTo(20.4 / (20.4 + 0.000452 + 1), 12);
    expect(p.get('cleo')).toBeCloseTo(1 / (20.4 + 0.000452 + 1), 12);
  });

  it('calibrates each posterior by its Platt scaling, then shares them out again', () => {
    const evidence = new Map([['ana', { devices: new Map([['phone', 15 * minute]]) }]]);
    const calibration = { slope: 0.5, intercept: -0.2 };
    const raw = memberPosteriors(['ana', 'ben'], evidence, model);
    const platt = (p: number) => 1 / (1 + Math.exp(-(0.5 * Math.log(p / (1 - p)) - 0.2)));
    const [ana, ben] = [platt(raw.get('ana')!), platt(raw.get('ben')!)];
    const p = memberPosteriors(['ana', 'ben'], evidence, { ...model, calibration });
    expect(p.get('ana')).toBeCloseTo(ana / (ana + ben), 12);
    expect(p.get('ben')).toBeCloseTo(ben / (ana + ben), 12);
  });

  it('weighs activity by its offset from the start in the model’s bins, up to 30 minutes away', () => {
    const ratio = (offsetMs: number | null) => likelihoodRatio({ devices: new Map([['phone', offsetMs]]) }, model);
    expect([-25, -15, -5, 5, 15, 25, 30].map((m) => ratio(m * minute))).toEqual([0.00295, 0.00332, 0.0024, 0.115, 20.4, 1.42, 1.42]);
    expect(ratio(31 * minute)).toBe(ratio(null));
  });

  it('multiplies the ratios of a member’s devices, and takes a device of a type the model has no ratios for as no evidence', () => {
    const evidence = {
      devices: new Map<string, number | null>([
        ['phone', 15 * minute],
        ['watch', null],
        ['toaster', -5 * minute],
      ]),
    };
    expect(likelihoodRatio(evidence, model)).toBeCloseTo(20.4 * 0.000452, 12);
    expect(likelihoodRatio({ devices: new Map([['toaster', 15 * minute]]) }, model)).toBe(1);
  });
});

describe('isActivity', () => {
  it('is an event, or a sample past its type’s session threshold; not a reading a device sends unattended', () => {
    expect(isActivity(personal('ana', 0), rules)).toBe(true);
    expect(isActivity(reading('ana', 'watch', 0, { battery_pct: 80 }), rules)).toBe(false);
    expect(isActivity(reading('ana', 'ebike', 0, { speed_kmh: 18 }), rules)).toBe(true);
    expect(isActivity(reading('ana', 'ebike', 0, { speed_kmh: 0 }), rules)).toBe(false);
    expect(isActivity(reading('ana', 'ebike', 0, { battery_pct: 80 }), rules)).toBe(false);
  });

  it('takes a watch’s battery reading for no activity, however near, but for a sign its owner was around and inactive', () => {
    const records = [personal('hana', 55 * minute), reading('gus', 'watch', 58 * minute, { battery_pct: 80 })];
    expect(infer(shared(), ['gus', 'hana'], records)).toEqual({ inferredActor: 'hana', inferenceConfidence: 0.842 });
    // Without it, Gus may have been the user, unseen.
    expect(infer(shared(), ['gus', 'hana'], records.slice(0, 1))).toEqual(none);
  });
});

/** The log as the inference reads it: the records of some subjects in a range of device times. */
function logOf(records: LogRecord[]): LogReader {
  const readSubjects = (ids: readonly string[], from: number, to: number) =>
    records.filter((r) => r.subjectId !== null && ids.includes(r.subjectId) && r.ts >= from && r.ts < to).sort((a, b) => a.ts - b.ts);
  return { readSubjects } as Pick<LogReader, 'readSubjects'> as LogReader;
}

describe('ActorInference', () => {
  const inference = (records: LogRecord[]) =>
    new ActorInference({
      log: logOf(records),
      rules,
      windowMs: window,
      minConfidence: 0.5,
      membersAt: () => ['ana', 'ben'],
      deviceTypesOwnedAt: phones,
      model,
    });

  it('decides a session once the watermark has passed its start plus the window, from the activity on both sides of the start', () => {
    const records = [personal('ana', 75 * minute)];
    expect(inference(records).infer(shared(), 89 * minute)).toMatchObject(none);
    expect(inference(records).infer(shared(), 90 * minute)).toMatchObject({ inferredActor: 'ana', inferenceConfidence: 0.953 });
  });

  it('infers no actor for a session of an ambient device type, used by nobody in particular', () => {
    const heating = { ...shared(), id: 'thermostat@3600000', deviceId: 'thermostat', deviceType: 'thermostat' };
    const records = [personal('ana', 61 * minute)];
    expect(inference(records).infer(heating, 100 * minute)).toMatchObject(none);
    expect(inference(records).revisions(records, { before: 65 * minute, after: 100 * minute }, () => [heating], new Set())).toEqual({ before: [], after: [] });
  });

  it('revises the stored sessions the watermark now decides, and those near activity that came after they were decided', () => {
    const stored = [shared(null, 60 * minute), shared(null, 120 * minute), shared(null, 300 * minute)];
    const listed = (from: number, to: number) => stored.filter((s) => s.start >= from && s.start < to);
    // Activity at 75 min came before the watermark moved from 85 to 95 minutes: the session at 60 is decided now.
    const decidedNow = inference([personal('ana', 75 * minute)]).revisions([], { before: 85 * minute, after: 95 * minute }, listed, new Set());
    expect(decidedNow).toEqual({ before: [stored[0]], after: [{ ...stored[0], inferredActor: 'ana', inferenceConfidence: 0.953 }] });
    // Activity at 132 min comes in when the watermark is at 400 minutes: the session at 120, decided long ago, changes.
    const late = [personal('ben', 132 * minute)];
    const revised = inference(late).revisions(late, { before: 400 * minute, after: 400 * minute }, listed, new Set());
    expect(revised).toEqual({ before: [stored[1]], after: [{ ...stored[1], inferredActor: 'ben', inferenceConfidence: 0.953 }] });
    // Unless the batch replaces that session anyway; and a plain reading is no activity.
    expect(inference(late).revisions(late, { before: 400 * minute, after: 400 * minute }, listed, new Set([stored[1]!.id]))).toEqual({ before: [], after: [] });
    const battery = [reading('ben', 'watch', 132 * minute, { battery_pct: 80 })];
    expect(inference(battery).revisions(battery, { before: 400 * minute, after: 400 * minute }, listed, new Set())).toEqual({ before: [], after: [] });
  });
});
