import { errorCodes } from '@parcours/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, scrapeMetrics, startApp, testConfig } from './helpers.js';

let app: ParcoursApp;
let seq = 0;
const t0 = Date.UTC(2026, 8, 1);

function send(deviceId: string, payload: string, username: string | null = deviceId) {
  return app.gateway.ingest({ topic: `parcours/devices/${deviceId}/telemetry`, payload: Buffer.from(payload), receivedAt: t0, clientId: deviceId, username });
}
const telemetry = () => JSON.stringify({ ts: t0, seq: ++seq, metrics: { power_w: 1 } });

beforeAll(async () => {
  app = await startApp(testConfig({ gateway: { quarantineMaxEntries: 5, maxPayloadBytes: 256 } }));
});

afterAll(() => app.stop());

describe('quarantine', () => {
  it('replays messages once their cause is fixed: a device registered after it spoke', async () => {
    for (let i = 0; i < 3; i++) expect(await send('late', telemetry())).toBe('quarantined');
    await api(app.urls.http, 'POST', '/api/v1/devices', { id: 'late', type: 'meter' });
    const replay = await api<Record<string, number>>(app.urls.http, 'POST', '/api/v1/quarantine/replay', { reason: errorCodes.unknownDevice });
    expect(replay).toMatchObject({ status: 200, body: { replayed: 3, stored: 3, quarantined: 0 } });
    expect(app.gateway.log.count()).toBe(3);
    expect(app.gateway.quarantine.count()).toBe(0);
    // Replaying again finds nothing, and a replay of what is still wrong quarantines it anew.
    expect((await api<Record<string, number>>(app.urls.http, 'POST', '/api/v1/quarantine/replay', {})).body).toMatchObject({ replayed: 0 });
    await send('late', '{"broken":');
    expect((await api<Record<string, number>>(app.urls.http, 'POST', '/api/v1/quarantine/replay', {})).body).toMatchObject({ replayed: 1, quarantined: 1 });
    expect(app.gateway.quarantine.countByReason()).toEqual({ [errorCodes.badJson]: 1 });
  });

  it('gives every reason its code, and keeps the quarantine bounded, saying so', async () => {
    await send('late', 'x'.repeat(300));
    await send('ghost', telemetry());
    await api(app.urls.http, 'POST', '/api/v1/devices', { id: 'someone-else', type: 'meter' });
    await send('late', telemetry(), 'someone-else');
    await send('late', JSON.stringify({ ts: t0, seq: 'x', metrics: {} }));
    await app.gateway.ingest({ topic: 'parcours/devices/late/firmware', payload: Buffer.from('{}'), receivedAt: t0, clientId: 'late', username: 'late' });
    const { body } = await api<{ items: { reason: string }[] }>(app.urls.http, 'GET', '/api/v1/quarantine?limit=10');
    expect(app.gateway.quarantine.count()).toBe(5);
    expect(body.items.map((e) => e.reason)).toEqual([
      errorCodes.badTopic,
      errorCodes.schema,
      errorCodes.topicMismatch,
      errorCodes.unknownDevice,
      errorCodes.oversize,
    ]);
    expect(await scrapeMetrics(app.urls.http)).toMatch(/parcours_quarantine_dropped_total 1/);
  });
});
