import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';

/** Retention deletes old log records, but never one an active reader has not handled. */
const day = 86_400_000;
const t0 = Date.UTC(2026, 0, 1);
let app: ParcoursApp;

beforeAll(async () => {
  app = await startApp(testConfig({ data: { logRetention: '30d' } }));
  await api(app.urls.http, 'POST', '/api/v1/devices', { id: 'meter', type: 'meter' });
  for (let i = 0; i < 40; i++) {
    await app.gateway.ingest({
      topic: 'parcours/devices/meter/telemetry',
      payload: Buffer.from(JSON.stringify({ ts: t0 + i * day, seq: i, metrics: { v: i } })),
      receivedAt: t0 + i * day,
      clientId: 'meter',
      username: 'meter',
    });
  }
  await app.drained();
});

afterAll(() => app.stop());

describe('log retention', () => {
  it('deletes what is older than the retention once handled, and keeps offsets going up', async () => {
    const now = t0 + 40 * day;
    app.gateway.offsets.commit('a-slow-reader', 5); // active, but only at offset 5
    expect(app.gateway.applyRetention(now)).toBe(5);
    app.gateway.offsets.commit('a-slow-reader', 40);
    expect(app.gateway.applyRetention(now)).toBe(5); // records received before day 10 are gone
    expect(app.gateway.log.count()).toBe(30);
    expect(app.gateway.log.lastOffset()).toBe(40);
    await app.gateway.ingest({
      topic: 'parcours/devices/meter/telemetry',
      payload: Buffer.from(JSON.stringify({ ts: now, seq: 99, metrics: { v: 1 } })),
      receivedAt: now,
      clientId: 'meter',
      username: 'meter',
    });
    expect(app.gateway.log.readAfter(40, 10).map((r) => r.offset)).toEqual([41]);
  });
});
