import type { UsageSession } from '@parcours/contracts';
import type { LogRecord } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { inferActor, PersonalActivity } from '../../src/sessions/actor-inference.js';
import { logRecord } from './log-records.js';

const minute = 60_000;
const window = 10 * minute;

function personal(subjectId: string, ts: number): LogRecord {
  return logRecord(`${subjectId}-phone`, ts, { deviceType: 'phone', subjectId, subjectKind: 'individual', subjectType: 'person', type: 'interaction' });
}

const shared = (actor: string | null = null): UsageSession => ({
  id: 'tv@0',
  deviceId: 'tv',
  deviceType: 'tv',
  subjectId: 'home',
  subjectKind: 'collective',
  subjectType: 'household',
  actor,
  inferredActor: null,
  inferenceConfidence: null,
  start: 60 * minute,
  end: 90 * minute,
  durationS: 1800,
  events: 2,
  closedBy: 'stop',
});

describe('inferActor', () => {
  it('names the member active nearest the start, with a confidence that falls with distance and with rivals', () => {
    const activity = new PersonalActivity(24 * 60 * minute);
    activity.observe([personal('ana', 58 * minute), personal('ben', 45 * minute)]);
    expect(inferActor(shared(), ['ana', 'ben'], activity, window)).toEqual({ inferredActor: 'ana', inferenceConfidence: 0.8 });
    activity.observe([personal('ben', 62 * minute)]);
    // Two members 2 minutes away: each as near, so neither is more than a coin toss.
    expect(inferActor(shared(), ['ana', 'ben'], activity, window)).toEqual({ inferredActor: 'ana', inferenceConfidence: 0.4 });
  });

  it('infers nothing when a device reported its actor, when nobody was near, or for a non-member', () => {
    const activity = new PersonalActivity(24 * 60 * minute);
    activity.observe([personal('ana', 59 * minute), personal('zoe', 60 * minute)]);
    const none = { inferredActor: null, inferenceConfidence: null };
    expect(inferActor(shared('ben'), ['ana', 'ben'], activity, window)).toEqual(none);
    expect(inferActor(shared(), ['ben'], activity, window)).toEqual(none);
    expect(inferActor({ ...shared(), start: 200 * minute }, ['ana'], activity, window)).toEqual(none);
  });

  it('caps the confidence: it stays a guess', () => {
    const activity = new PersonalActivity(24 * 60 * minute);
    activity.observe([personal('ana', 60 * minute)]);
    expect(inferActor(shared(), ['ana'], activity, window).inferenceConfidence).toBe(0.9);
  });

  it('forgets activity older than its horizon once told to, not while a batch is observed', () => {
    const activity = new PersonalActivity(30 * minute);
    activity.observe([personal('ana', 0), personal('ben', 100 * minute)]);
    // A batch spanning more than the horizon: its first sessions still find the activity they need.
    expect(activity.distance('ana', 0)).toBe(0);
    activity.forget();
    expect(activity.distance('ana', 0)).toBeNull();
    expect(activity.distance('ben', 90 * minute)).toBe(10 * minute);
  });
});
