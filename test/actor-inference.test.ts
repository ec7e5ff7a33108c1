import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';

/** A shared TV with no profiles: who watched is inferred from the members' personal devices, and marked so. */
const minute = 60_000;
const t0 = Date.UTC(2026, 6, 1, 20);
let app: ParcoursApp;
let seq = 0;

async function event(deviceId: string, ts: number, type: string): Promise<void> {
  seq += 1;
  await app.gateway.ingest({
    topic: `parcours/devices/${deviceId}/events`,
    payload: Buffer.from(JSON.stringify({ ts, seq, type })),
    receivedAt: ts,
    clientId: deviceId,
    username: deviceId,
  });
}

beforeAll(async () => {
  app = await startApp(testConfig());
  const post = (path: string, body: unknown) => api(app.urls.http, 'POST', `/api/v1${path}`, body);
  for (const id of ['ana', 'ben']) await post('/subjects', { id, kind: 'individual', type: 'person', name: id });
  await post('/subjects', { id: 'home', kind: 'collective', type: 'household', name: 'Home' });
  for (const id of ['ana', 'ben']) await post('/memberships', { individualId: id, collectiveId: 'home', validFrom: '2026-01-01T00:00:00Z' });
  await post('/devices', { id: 'tv', type: 'tv' });
  await post('/devices/tv/assignments', { subjectId: 'home', validFrom: '2026-01-01T00:00:00Z' });
  await post('/devices', { id: 'ana-brush', type: 'toothbrush' });
  await post('/devices/ana-brush/assignments', { subjectId: 'ana', validFrom: '2026-01-01T00:00:00Z' });
});

afterAll(() => app.stop());

describe('inferred actor of a shared-device session', () => {
  it('adds the member whose personal device was active near the start, marked as inferred, and keeps the reported actor empty', async () => {
    await event('ana-brush', t0 - 3 * minute, 'usage.start');
    await event('ana-brush', t0 - 1 * minute, 'usage.stop');
    await event('tv', t0, 'usage.start');
    await event('tv', t0 + 45 * minute, 'usage.stop');
    await app.drained();
    const { body } = await api<{ items: { deviceId: string; actor: string | null; inferredActor: string | null; inferenceConfidence: number | null }[] }>(
      app.urls.http,
      'GET',
      `/api/v1/subjects/home/sessions?from=${new Date(t0 - 1).toISOString()}&to=${new Date(t0 + 1).toISOString()}`,
    );
    expect(body.items).toEqual([expect.objectContaining({ deviceId: 'tv', actor: null, inferredActor: 'ana', inferenceConfidence: 0.9 })]);
  });
});
