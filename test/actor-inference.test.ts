import type { UsageSession } from '@parcours/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';
import { TestFleet } from './test-fleet.js';

/**
 * Shared devices with no profiles, over real MQTT: who used them is inferred from the members' personal
 * devices, marked so. The stream and the batch (`analytics run`'s sessions job) must infer the same actors,
 * whatever the order in which the records arrived: each case is streamed, then re-derived, and both kept.
 */
const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;
const t0 = Date.UTC(2026, 6, 1, 20);
const iso = (ms: number) => new Date(ms).toISOString();
let app: ParcoursApp;
let fleet: TestFleet;

/**
 * Each case in its own household, so that no member's activity reaches another case. The personal devices
 * are of types the fitted model has ratios for (`inference-ratios.ts`), at offsets it reads as telling: a
 * toothbrush 10 to 20 minutes after the start, an activity tracker's steps a minute or two before. Every
 * member owns one, else nobody is inferred (the `den` case): a silent phone is enough.
 */
const households = {
  home: {
    members: ['ana', 'ben'],
    shared: [['tv', 'tv']],
    personal: [
      ['ana-brush', 'toothbrush', 'ana'],
      ['ben-phone', 'phone', 'ben'],
    ],
  },
  flat: {
    members: ['cleo', 'dan'],
    shared: [['kettle', 'kettle']],
    personal: [
      ['cleo-brush', 'toothbrush', 'cleo'],
      ['dan-phone', 'phone', 'dan'],
    ],
  },
  loft: {
    members: ['eve', 'finn'],
    shared: [['loft-cm', 'coffee_machine']],
    personal: [
      ['eve-brush', 'toothbrush', 'eve'],
      ['eve-tracker', 'activity_tracker', 'eve'],
      ['finn-phone', 'phone', 'finn'],
    ],
  },
  den: { members: ['ida', 'jon'], shared: [['den-tv', 'tv']], personal: [['ida-brush', 'toothbrush', 'ida']] },
  barn: {
    members: ['gus', 'hana'],
    shared: [['barn-cm', 'coffee_machine']],
    personal: [
      ['gus-tracker', 'activity_tracker', 'gus'],
      ['hana-brush', 'toothbrush', 'hana'],
      ['hana-tracker', 'activity_tracker', 'hana'],
    ],
  },
} as const;

const sessionsOf = (deviceId: string): UsageSession[] => app.analytics.sessionStore.listForDevice(deviceId, t0 - day, t0 + 30 * day, 100);
const sharedDevices = Object.values(households).flatMap((h) => h.shared.map(([id]) => id));

/** What the stream derived, then what the batch re-derived over the same span: both, for each case to compare. */
const streamed = new Map<string, UsageSession[]>();
const batched = new Map<string, UsageSession[]>();

beforeAll(async () => {
  app = await startApp(testConfig({ analytics: { actorInference: true } }));
  fleet = new TestFleet(app);
  const post = (path: string, body: unknown) => api(app.urls.http, 'POST', `/api/v1${path}`, body);
  const since = t0 - day;
  for (const [collective, h] of Object.entries(households)) {
    await post('/subjects', { id: collective, kind: 'collective', type: 'household', name: collective });
    for (const id of h.members) {
      await post('/subjects', { id, kind: 'individual', type: 'person', name: id });
      await post('/memberships', { individualId: id, collectiveId: collective, validFrom: iso(since) });
    }
    for (const [id, type] of h.shared) await fleet.connect(id, type, collective, since);
    for (const [id, type, owner] of h.personal) await fleet.connect(id, type, owner, since);
  }
  await fleet.connect('meter', 'meter', 'home', since);
  await fleet.connect('clockless', 'meter', 'home', since);
  await streamCases();
  for (const id of sharedDevices) streamed.set(id, sessionsOf(id));
  await app.analytics.runBatch({ jobs: ['sessions'], from: t0 - day, to: t0 + 30 * day });
  for (const id of sharedDevices) batched.set(id, sessionsOf(id));
});

afterAll(async () => {
  await fleet?.close();
  await app?.stop();
});

/** Drains between records where the case needs them in separate batches of the stream. */
async function streamCases(): Promise<void> {
  // home: the TV is on for 45 minutes; Ana brushes her teeth 15 minutes into it. Ben's phone stays silent.
  await fleet.use('tv', t0, 45);
  await fleet.use('ana-brush', t0 + 15 * minute, 2);
  // The next evening, Ana brushes 5 minutes before the TV: unlikely her, so nobody is inferred.
  await fleet.use('ana-brush', t0 + day - 5 * minute, 2);
  await fleet.use('tv', t0 + day, 30);
  await app.drained();

  // loft: a 40-second coffee, Eve's toothbrush used 15 minutes after its start, heard of after the machine's
  // stop. Another coffee, one minute; the meter's clock then moves the fleet past its window, which decides
  // it with no activity near it; only then do the steps Eve's tracker counted 90 seconds before it arrive.
  const loft = t0 + 2 * day;
  await fleet.publish('loft-cm', 'events', loft, { type: 'usage.start' });
  await fleet.publish('loft-cm', 'events', loft + 40_000, { type: 'usage.stop' });
  await app.drained();
  await fleet.event('eve-brush', loft + 15 * minute, 'usage.start');
  await app.drained();
  await fleet.use('loft-cm', loft + hour, 1);
  await app.drained();
  await fleet.publish('meter', 'telemetry', loft + hour + 31 * minute, { metrics: { power_w: 80 } });
  await app.drained();
  await fleet.publish('eve-tracker', 'telemetry', loft + hour - 90_000, { metrics: { steps_min: 60 } });
  await app.drained();

  // barn: Gus's tracker only sent a battery reading 90 seconds before the coffee, Hana brushed her teeth 12
  // minutes after its start: she is the one active, Gus is observed and inactive. Later, Hana's tracker
  // counts her steps (telemetry past its session threshold, no events) 90 seconds before the next coffee,
  // while Gus's reports its battery again a minute before.
  const barn = t0 + 3 * day;
  await fleet.publish('gus-tracker', 'telemetry', barn - 90_000, { metrics: { battery_pct: 80 } });
  await fleet.use('barn-cm', barn, 2);
  await fleet.event('hana-brush', barn + 12 * minute, 'usage.start');
  await fleet.publish('hana-tracker', 'telemetry', barn + hour - 90_000, { metrics: { steps_min: 60 } });
  await fleet.publish('gus-tracker', 'telemetry', barn + hour - minute, { metrics: { battery_pct: 79 } });
  await fleet.use('barn-cm', barn + hour, 2);

  // den: the same evening as home's first, but Jon owns no personal device: had he watched, nothing would show.
  await fleet.use('den-tv', t0, 45);
  await fleet.use('ida-brush', t0 + 15 * minute, 2);
  await app.drained();

  // flat, last (it would disable the stream's inference of the cases after it): a device whose clock was
  // never set is filed at its receipt, months after the data replayed here.
  await fleet.publish('clockless', 'telemetry', Date.UTC(1971, 0, 1), { metrics: { power_w: 5 } });
  await app.drained();
  // Then seven kettle sessions, Cleo's toothbrush used 12 minutes after each start.
  for (let k = 0; k < 7; k++) {
    const at = t0 + 5 * day + k * 2 * hour;
    await fleet.event('cleo-brush', at + 12 * minute, 'usage.start');
    await app.drained();
    await fleet.use('kettle', at, 3);
    await app.drained();
  }

  // The meter's clock moves the fleet on, past every session's inference window.
  await fleet.publish('meter', 'telemetry', t0 + 6 * day, { metrics: { power_w: 80 } });
  await app.drained();
}

/** The start and inferred actor of each session, its confidence checked to be at least the minimum (and at most 1). */
function actorsOf(sessions: readonly UsageSession[] | undefined): [number, string | null][] {
  const min = app.config.analytics.inferenceMinConfidence;
  return (sessions ?? []).map((s) => {
    if (s.inferredActor === null) expect(s.inferenceConfidence).toBeNull();
    else expect(s.inferenceConfidence).toSatisfy((c: number) => c >= min && c <= 1);
    return [s.start, s.inferredActor];
  });
}

describe('inferred actor of a shared-device session', () => {
  it('adds the member whose personal device was active near the start, marked as inferred, and keeps the reported actor empty', async () => {
    const { body } = await api<{ items: { deviceId: string; actor: string | null; inferredActor: string | null; inferenceConfidence: number | null }[] }>(
      app.urls.http,
      'GET',
      `/api/v1/subjects/home/sessions?from=${iso(t0 - 1)}&to=${iso(t0 + 1)}`,
    );
    expect(body.items).toEqual([expect.objectContaining({ deviceId: 'tv', actor: null, inferredActor: 'ana' })]);
    expect(body.items[0]?.inferenceConfidence).toEqual(streamed.get('tv')?.[0]?.inferenceConfidence);
    expect(batched.get('tv')).toEqual(streamed.get('tv'));
  });

  it('infers nobody when the likeliest member is less likely than analytics.inferenceMinConfidence', () => {
    expect(actorsOf(sessionsOf('tv'))).toEqual([
      [t0, 'ana'],
      [t0 + day, null],
    ]);
    expect(batched.get('tv')).toEqual(streamed.get('tv'));
  });

  it('is not disabled by a clock the gateway corrected to the receive time, far ahead of the data', () => {
    const expected = Array.from({ length: 7 }, (_, k) => [t0 + 5 * day + k * 2 * hour, 'cleo']);
    expect(actorsOf(sessionsOf('kettle'))).toEqual(expected);
    expect(actorsOf(streamed.get('kettle'))).toEqual(expected);
    expect(batched.get('kettle')).toEqual(streamed.get('kettle'));
  });

  it('counts activity within the window of the start whenever it arrives, before or after the session closed or was decided', () => {
    const loft = t0 + 2 * day;
    const expected = [
      [loft, 'eve'],
      [loft + hour, 'eve'],
    ];
    expect(actorsOf(streamed.get('loft-cm'))).toEqual(expected);
    expect(batched.get('loft-cm')).toEqual(streamed.get('loft-cm'));
  });

  it('counts usage as activity (events, telemetry past its session threshold), not plain telemetry readings', () => {
    const barn = t0 + 3 * day;
    const expected = [
      [barn, 'hana'],
      [barn + hour, 'hana'],
    ];
    expect(actorsOf(streamed.get('barn-cm'))).toEqual(expected);
    expect(batched.get('barn-cm')).toEqual(streamed.get('barn-cm'));
  });

  it('infers nobody while a member owns no personal device: that member could be the user every time, unseen', () => {
    expect(actorsOf(streamed.get('den-tv'))).toEqual([[t0, null]]);
    expect(batched.get('den-tv')).toEqual(streamed.get('den-tv'));
  });
});
