import { errorCodes } from '@parcours/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, scrapeMetrics, startApp, testConfig } from './helpers.js';

/** Wrong device clocks are corrected and flagged; late and out-of-order events are kept within the lateness. */
const minute = 60_000;
let app: ParcoursApp;
let seq = 0;

async function send(ts: number, receivedAt: number) {
  seq += 1;
  const outcome = await app.gateway.ingest({
    topic: 'parcours/devices/meter/telemetry',
    payload: Buffer.from(JSON.stringify({ ts, seq, metrics: { power_w: 1 } })),
    receivedAt,
    clientId: 'meter',
    username: 'meter',
  });
  return { outcome, record: app.gateway.log.readAfter(app.gateway.log.lastOffset() - 1, 1)[0]! };
}

beforeAll(async () => {
  app = await startApp(testConfig({ gateway: { maxClockSkew: '5m', maxLateness: '1h' } }));
  await api(app.urls.http, 'POST', '/api/v1/devices', { id: 'meter', type: 'meter' });
});

afterAll(() => app.stop());

describe('device time', () => {
  const now = Date.UTC(2026, 10, 22, 12);

  it('replaces a clock ahead of the receive time, or one never set, and flags it', async () => {
    const ahead = await send(now + 60 * minute, now);
    expect(ahead).toMatchObject({ outcome: 'stored', record: { ts: now, deviceTs: now + 60 * minute, receivedAt: now } });
    const unset = await send(Date.UTC(1971, 0, 1), now + 1000);
    expect(unset.record).toMatchObject({ ts: now + 1000, deviceTs: Date.UTC(1971, 0, 1) });
    expect(await scrapeMetrics(app.urls.http)).toMatch(/parcours_device_clock_corrected_total 2/);
  });

  it('keeps a small skew, and late or out-of-order events within the lateness, as the device stamped them', async () => {
    expect((await send(now + 2 * minute, now)).record).toMatchObject({ ts: now + 2 * minute, deviceTs: null });
    expect((await send(now - 30 * minute, now)).record).toMatchObject({ ts: now - 30 * minute, deviceTs: null });
    expect((await send(now - 40 * minute, now)).record).toMatchObject({ ts: now - 40 * minute });
    expect(await scrapeMetrics(app.urls.http)).toMatch(/parcours_messages_late_total 2/);
  });

  it('quarantines what is later than the lateness, saying by how much', async () => {
    const before = app.gateway.log.count();
    expect((await send(now - 2 * 60 * minute, now)).outcome).toBe('quarantined');
    expect(app.gateway.log.count()).toBe(before);
    const [entry] = app.gateway.quarantine.list({ reason: errorCodes.tooLate, limit: 1, offset: 0 });
    expect(entry?.detail).toMatch(/120 min before its receipt/);
  });
});
