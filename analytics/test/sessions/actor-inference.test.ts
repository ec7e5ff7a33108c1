import type { LogReader, LogRecord, UsageSession } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { ActorInference, inferActor, isActivity, nearestActivity } from '../../src/sessions/actor-inference.js';
import { logRecord } from './log-records.js';

const minute = 60_000;
const window = 10 * minute;
const rules = {
  idleTimeoutMs: 30 * minute,
  maxLengthMs: 24 * 60 * minute,
  types: {
    ebike: { threshold: { metric: 'speed_kmh', comparison: 'above' as const, threshold: 3, hysteresis: 0, closeAfter: 0, minDuration: 0 } },
    thermostat: { ambient: true },
  },
};
const none = { inferredActor: null, inferenceConfidence: null };

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

const infer = (session: UsageSession, members: string[], records: LogRecord[]) =>
  inferActor(session, members, nearestActivity(records, session.start, rules), window);

describe('inferActor', () => {
  it('names the member active nearest the start, with a confidence that falls with distance and with rivals', () => {
    const records = [personal('ana', 58 * minute), personal('ben', 45 * minute)];
    expect(infer(shared(), ['ana', 'ben'], records)).toEqual({ inferredActor: 'ana', inferenceConfidence: 0.8 });
    // Two members 2 minutes away, before and after the start: each as near, so neither is more than a coin toss.
    expect(infer(shared(), ['ana', 'ben'], [...records, personal('ben', 62 * minute)])).toEqual({ inferredActor: 'ana', inferenceConfidence: 0.4 });
  });

  it('infers nothing when a device reported its actor, when nobody was near, or for a non-member', () => {
    const records = [personal('ana', 59 * minute), personal('zoe', 60 * minute)];
    expect(infer(shared('ben'), ['ana', 'ben'], records)).toEqual(none);
    expect(infer(shared(), ['ben'], records)).toEqual(none);
    expect(infer(shared(null, 200 * minute), ['ana'], records)).toEqual(none);
  });

  it('caps the confidence: it stays a guess', () => {
    expect(infer(shared(), ['ana'], [personal('ana', 60 * minute)]).inferenceConfidence).toBe(0.9);
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

  it('leaves a watch’s battery reading out of the inference, however near', () => {
    const records = [personal('hana', 55 * minute), reading('gus', 'watch', 58 * minute, { battery_pct: 80 })];
    expect(infer(shared(), ['gus', 'hana'], records)).toEqual({ inferredActor: 'hana', inferenceConfidence: 0.5 });
  });
});

/** The log as the inference reads it: the records of some subjects in a range of device times. */
function logOf(records: LogRecord[]): LogReader {
  const readSubjects = (ids: readonly string[], from: number, to: number) =>
    records.filter((r) => r.subjectId !== null && ids.includes(r.subjectId) && r.ts >= from && r.ts < to).sort((a, b) => a.ts - b.ts);
  return { readSubjects } as Pick<LogReader, 'readSubjects'> as LogReader;
}

describe('ActorInference', () => {
  const inference = (records: LogRecord[]) => new ActorInference({ log: logOf(records), rules, windowMs: window, membersAt: () => ['ana', 'ben'] });

  it('decides a session once the watermark has passed its start plus the window, from the activity on both sides of the start', () => {
    const records = [personal('ana', 64 * minute)];
    expect(inference(records).infer(shared(), 69 * minute)).toMatchObject(none);
    expect(inference(records).infer(shared(), 70 * minute)).toMatchObject({ inferredActor: 'ana', inferenceConfidence: 0.6 });
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
    // Activity at 62 min came before the watermark moved from 65 to 75 minutes: the session at 60 is decided now.
    const decidedNow = inference([personal('ana', 62 * minute)]).revisions([], { before: 65 * minute, after: 75 * minute }, listed, new Set());
    expect(decidedNow).toEqual({ before: [stored[0]], after: [{ ...stored[0], inferredActor: 'ana', inferenceConfidence: 0.8 }] });
    // Activity at 118 min comes in when the watermark is at 400 minutes: the session at 120, decided long ago, changes.
    const late = [personal('ben', 118 * minute)];
    const revised = inference(late).revisions(late, { before: 400 * minute, after: 400 * minute }, listed, new Set());
    expect(revised).toEqual({ before: [stored[1]], after: [{ ...stored[1], inferredActor: 'ben', inferenceConfidence: 0.8 }] });
    // Unless the batch replaces that session anyway; and a plain reading is no activity.
    expect(inference(late).revisions(late, { before: 400 * minute, after: 400 * minute }, listed, new Set([stored[1]!.id]))).toEqual({ before: [], after: [] });
    const battery = [reading('ben', 'watch', 118 * minute, { battery_pct: 80 })];
    expect(inference(battery).revisions(battery, { before: 400 * minute, after: 400 * minute }, listed, new Set())).toEqual({ before: [], after: [] });
  });
});
