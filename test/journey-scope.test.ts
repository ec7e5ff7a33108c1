import type { Journey, UsageSession } from '@parcours/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';
import { TestFleet } from './test-fleet.js';

/**
 * Which journeys a session concerns, over real MQTT, in the stream and in a batch re-derivation
 * (`analytics run`'s sessions and journeys jobs): a shared session without an actor holds back the
 * journeys of its collective's members only, and ambient devices (thermostats…, built-in rules) are part
 * of no journey and get no inferred actor.
 */
const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;
const monday = Date.UTC(2026, 6, 6);
const at = (d: number, hh: number, mm: number) => d + hh * hour + mm * minute;
const iso = (ms: number) => new Date(ms).toISOString();
let app: ParcoursApp;
let fleet: TestFleet;

const brief = (j: Journey) => [j.subjectId, iso(j.start), iso(j.end), j.path];
const closedOf = (subjectId: string) => app.analytics.journeyStore.listForSubject(subjectId, monday - day, monday + 7 * day, 100).map(brief);
const sessionsOf = (deviceId: string): UsageSession[] => app.analytics.sessionStore.listForDevice(deviceId, monday - day, monday + 7 * day, 100);

/** Every journey of these subjects: the closed ones stored, and the pending ones. */
function journeysOf(subjects: readonly string[]) {
  return {
    closed: subjects.flatMap(closedOf),
    pending: subjects.map((id) => app.analytics.journeyStore.pendingOf(id)?.steps.map((s) => s.sessionId) ?? null),
  };
}

/** What the stream left, then the same after a batch re-derivation of the sessions and journeys of the span. */
async function streamedThenBatched(subjects: readonly string[], from: number): Promise<{ streamed: unknown; batched: unknown }> {
  const streamed = journeysOf(subjects);
  await app.analytics.runBatch({ jobs: ['sessions', 'journeys'], from, to: from + 2 * day });
  return { streamed, batched: journeysOf(subjects) };
}

beforeAll(async () => {
  // Sessions open for hours with no message between their start and stop stay open.
  app = await startApp(testConfig({ analytics: { sessionIdleTimeout: '12h', journeyGap: '30m', actorInference: true } }));
  fleet = new TestFleet(app);
  const post = (path: string, body: unknown) => api(app.urls.http, 'POST', `/api/v1${path}`, body);
  const since = monday - day;
  const collectives = [
    ['home', 'household'],
    ['office', 'workplace'],
    ['works', 'workplace'],
  ];
  for (const [id, type] of collectives) await post('/subjects', { id, kind: 'collective', type, name: id });
  for (const id of ['ana', 'ben', 'cleo', 'dan', 'eve']) {
    await post('/subjects', { id, kind: 'individual', type: 'person', name: id });
    await fleet.connect(`${id}-phone`, 'phone', id, since);
  }
  // Ben moved out before Monday; Dan belongs to no collective.
  await post('/memberships', { individualId: 'ana', collectiveId: 'home', validFrom: iso(since) });
  await post('/memberships', { individualId: 'ben', collectiveId: 'home', validFrom: iso(since), validTo: iso(at(monday, 5, 0)) });
  await post('/memberships', { individualId: 'cleo', collectiveId: 'office', validFrom: iso(since) });
  await post('/memberships', { individualId: 'eve', collectiveId: 'works', validFrom: iso(since) });
  await fleet.connect('home-tv', 'tv', 'home', since);
  await fleet.connect('home-thermostat', 'thermostat', 'home', since);
  await fleet.connect('office-thermostat', 'thermostat', 'office', since);
  await fleet.connect('works-thermostat', 'thermostat', 'works', since);
  await fleet.connect('works-coffee', 'coffee_machine', 'works', since);
  await fleet.connect('meter', 'meter', 'dan', since);
});

afterAll(async () => {
  await fleet?.close();
  await app?.stop();
});

describe('a shared session without an actor', () => {
  const phones = ['ana', 'ben', 'cleo', 'dan'];
  let held: { streamed: unknown; batched: unknown };
  let joined: { streamed: unknown; batched: unknown };

  beforeAll(async () => {
    // Both thermostats on before anyone is up, the household's TV on with no profile; everyone uses
    // their phone from 06:40 to 06:53; the fleet's clock then reaches 08:14.
    await fleet.event('home-thermostat', at(monday, 6, 16), 'usage.start');
    await fleet.event('home-tv', at(monday, 6, 20), 'usage.start');
    await fleet.event('office-thermostat', at(monday, 6, 29), 'usage.start');
    for (const id of phones) await fleet.use(`${id}-phone`, at(monday, 6, 40), 13);
    await fleet.publish('meter', 'telemetry', at(monday, 8, 14), { metrics: { power_w: 5 } });
    await app.drained();
    held = await streamedThenBatched(phones, monday);
    // Ana turns the TV off, her profile named at last; the thermostats stop.
    await fleet.event('home-tv', at(monday, 8, 30), 'usage.stop', 'ana');
    await fleet.event('home-thermostat', at(monday, 8, 31), 'usage.stop');
    await fleet.event('office-thermostat', at(monday, 8, 31), 'usage.stop');
    await fleet.publish('meter', 'telemetry', at(monday, 10, 0), { metrics: { power_w: 5 } });
    await app.drained();
    joined = await streamedThenBatched(phones, monday);
  });

  it("holds back only its collective's members at its time, not the journeys of others", () => {
    const phone = (id: string) => [id, iso(at(monday, 6, 40)), iso(at(monday, 6, 53)), 'phone'];
    expect(held.streamed).toEqual({ closed: [phone('ben'), phone('cleo'), phone('dan')], pending: [[`ana-phone@${at(monday, 6, 40)}`], null, null, null] });
    expect(held.batched).toEqual(held.streamed);
  });

  it('lets the held journey take the session once it names the member', () => {
    expect(closedOf('ana')).toEqual([['ana', iso(at(monday, 6, 20)), iso(at(monday, 8, 30)), 'tv>phone']]);
    expect(joined.batched).toEqual(joined.streamed);
  });
});

describe('an ambient device (thermostat)', () => {
  const tuesday = monday + day;
  let run: { streamed: unknown; batched: unknown };
  let streamedThermostat: UsageSession[];

  beforeAll(async () => {
    // The office heats from 07:00 to 18:00; Eve's phone is used just before it starts; three coffees.
    await fleet.use('eve-phone', at(tuesday, 6, 57), 2);
    await fleet.use('works-thermostat', at(tuesday, 7, 0), 11 * 60);
    for (const [hh, mm] of [
      [8, 0],
      [12, 30],
      [16, 0],
    ] as const)
      await fleet.use('works-coffee', at(tuesday, hh, mm), 2);
    await fleet.publish('meter', 'telemetry', at(tuesday, 23, 0), { metrics: { power_w: 5 } });
    await app.drained();
    streamedThermostat = sessionsOf('works-thermostat');
    run = await streamedThenBatched(['works', 'eve'], tuesday);
  });

  it('bridges no gap: the workplace has one journey per coffee, not one for the day', () => {
    const coffee = (hh: number, mm: number) => ['works', iso(at(tuesday, hh, mm)), iso(at(tuesday, hh, mm + 2)), 'coffee_machine'];
    expect(closedOf('works')).toEqual([coffee(8, 0), coffee(12, 30), coffee(16, 0)]);
    expect(run.batched).toEqual(run.streamed);
  });

  it('gets no inferred actor, even with a member active at its start', () => {
    expect(streamedThermostat.map((s) => [iso(s.start), s.inferredActor, s.inferenceConfidence])).toEqual([[iso(at(tuesday, 7, 0)), null, null]]);
    expect(sessionsOf('works-thermostat')).toEqual(streamedThermostat);
  });
});
