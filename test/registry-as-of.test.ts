import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';

/**
 * Attribution as of the event's time across registry changes: a person in a household and a workplace, a
 * weekend guest (an ephemeral membership), a car-sharing rental (an ephemeral collective), a TV sold.
 */
const day = 86_400_000;
const t0 = Date.UTC(2026, 4, 1);
const iso = (ms: number) => new Date(ms).toISOString();
let app: ParcoursApp;

async function post(path: string, body: unknown): Promise<void> {
  const response = await api(app.urls.http, 'POST', `/api/v1${path}`, body);
  expect(response.status, `${path} ${JSON.stringify(response.body)}`).toBe(201);
}

async function ingest(deviceId: string, seq: number, ts: number, actor?: string) {
  await app.gateway.ingest({
    topic: `parcours/devices/${deviceId}/events`,
    payload: Buffer.from(JSON.stringify({ ts, seq, type: 'interaction', ...(actor ? { actor } : {}) })),
    receivedAt: ts,
    clientId: deviceId,
    username: deviceId,
  });
  return app.gateway.log.readAfter(app.gateway.log.lastOffset() - 1, 1)[0]!;
}

beforeAll(async () => {
  app = await startApp(testConfig());
  for (const [id, kind, type] of [
    ['ana', 'individual', 'person'],
    ['ben', 'individual', 'person'],
    ['guest', 'individual', 'person'],
    ['home', 'collective', 'household'],
    ['office', 'collective', 'workplace'],
    ['rental-42', 'collective', 'rental'],
    ['new-owner', 'collective', 'household'],
  ] as const)
    await post('/subjects', { id, kind, type, name: id });
  await post('/memberships', { individualId: 'ana', collectiveId: 'home', validFrom: iso(t0) });
  await post('/memberships', { individualId: 'ana', collectiveId: 'office', validFrom: iso(t0) });
  await post('/memberships', { individualId: 'ben', collectiveId: 'home', validFrom: iso(t0), validTo: iso(t0 + 10 * day) });
  await post('/memberships', { individualId: 'guest', collectiveId: 'home', validFrom: iso(t0 + 5 * day), validTo: iso(t0 + 7 * day), role: 'guest' });
  await post('/memberships', { individualId: 'ben', collectiveId: 'rental-42', validFrom: iso(t0 + 20 * day), validTo: iso(t0 + 20 * day + 3 * 3_600_000) });
  for (const [id, type] of [
    ['tv', 'tv'],
    ['car', 'car'],
    ['badge', 'badge_reader'],
  ] as const)
    await post('/devices', { id, type });
  await post('/devices/tv/assignments', { subjectId: 'home', validFrom: iso(t0), validTo: iso(t0 + 15 * day) });
  await post('/devices/tv/assignments', { subjectId: 'new-owner', validFrom: iso(t0 + 15 * day) });
  await post('/devices/car/assignments', { subjectId: 'rental-42', validFrom: iso(t0 + 20 * day), validTo: iso(t0 + 20 * day + 3 * 3_600_000) });
  await post('/devices/badge/assignments', { subjectId: 'office', validFrom: iso(t0) });
});

afterAll(() => app.stop());

describe('attribution as of the event time', () => {
  it('follows a device sold to another household', async () => {
    expect(await ingest('tv', 1, t0 + day)).toMatchObject({ subjectId: 'home', subjectType: 'household' });
    expect(await ingest('tv', 2, t0 + 16 * day)).toMatchObject({ subjectId: 'new-owner' });
  });

  it('accepts actors who were members then: a member who left, a weekend guest, a person in two collectives', async () => {
    expect(await ingest('tv', 3, t0 + 2 * day, 'ben')).toMatchObject({ actor: 'ben', actorRejected: false });
    expect(await ingest('tv', 4, t0 + 11 * day, 'ben')).toMatchObject({ subjectId: 'home', actor: null, actorRejected: true });
    expect(await ingest('tv', 5, t0 + 6 * day, 'guest')).toMatchObject({ actor: 'guest' });
    expect(await ingest('tv', 6, t0 + 8 * day, 'guest')).toMatchObject({ actor: null, actorRejected: true });
    expect(await ingest('tv', 7, t0 + 3 * day, 'ana')).toMatchObject({ subjectId: 'home', actor: 'ana' });
    expect(await ingest('badge', 8, t0 + 3 * day, 'ana')).toMatchObject({ subjectId: 'office', actor: 'ana' });
  });

  it('attributes a rented car to the rental only during the rental', async () => {
    expect(await ingest('car', 9, t0 + 20 * day + 3_600_000, 'ben')).toMatchObject({ subjectId: 'rental-42', subjectType: 'rental', actor: 'ben' });
    expect(await ingest('car', 10, t0 + 21 * day)).toMatchObject({ subjectId: null });
  });

  it('serves a subject as of t: members, collectives and devices then', async () => {
    type AsOf = { memberships: { other: { id: string } }[]; devices: { id: string }[] };
    const asOf = async (id: string, t: number) => (await api<AsOf>(app.urls.http, 'GET', `/api/v1/subjects/${id}/as-of?t=${iso(t)}`)).body;
    const home = await asOf('home', t0 + 6 * day);
    expect(home.memberships.map((m) => m.other.id).sort()).toEqual(['ana', 'ben', 'guest']);
    expect(home.devices.map((d) => d.id)).toEqual(['tv']);
    const later = await asOf('home', t0 + 16 * day);
    expect(later.memberships.map((m) => m.other.id)).toEqual(['ana']);
    expect(later.devices).toEqual([]);
    expect((await asOf('ana', t0 + day)).memberships.map((m) => m.other.id).sort()).toEqual(['home', 'office']);
    expect((await api(app.urls.http, 'GET', `/api/v1/subjects/nobody/as-of?t=${iso(t0)}`)).status).toBe(404);
  });
});
