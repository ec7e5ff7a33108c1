import { createHash, randomBytes } from 'node:crypto';
import { errorCodes, type ConfigInput } from '@parcours/contracts';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, api, scrapeMetrics, startApp, testConfig } from './helpers.js';

/** A device flooding the quarantine with payloads over `gateway.maxPayloadBytes` (but under the packet size). */
let app: ParcoursApp | null = null;

afterEach(async () => {
  await app?.stop();
  app = null;
});

interface Entry {
  id: number;
  reason: string;
  payload: string;
  payloadSize: number;
  payloadSha256: string;
  payloadTruncated: boolean;
}
interface Page {
  items: Entry[];
  nextOffset: number | null;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function start(gateway: ConfigInput['gateway'] = {}): Promise<ParcoursApp> {
  // Quick fsyncs do not matter here; the packet size lets 200 kB payloads through to the quarantine.
  app = await startApp(testConfig({ data: { sync: 'normal' }, mqtt: { maxPacketSize: 300_000 }, gateway }));
  await api(app.urls.http, 'POST', '/api/v1/devices', { id: 'big', type: 'meter' });
  return app;
}

/** Publishes `count` random payloads of `size` bytes at QoS 1 from one device, twenty at a time; returns them. */
async function flood(count: number, size: number, topic = 'parcours/devices/big/telemetry'): Promise<Buffer[]> {
  const secret = (await api<{ secret: string }>(app!.urls.http, 'POST', '/api/v1/devices/big/credentials')).body.secret;
  const client = await mqtt.connectAsync(app!.urls.mqtt, { username: 'big', password: secret, reconnectPeriod: 0 });
  const payloads = Array.from({ length: count }, () => randomBytes(size));
  for (let i = 0; i < count; i += 20) await Promise.all(payloads.slice(i, i + 20).map((p) => client.publishAsync(topic, p, { qos: 1 })));
  await client.endAsync();
  return payloads;
}

/** Every page of `GET /quarantine`, following `nextOffset`. */
async function allPages(query: string): Promise<{ pages: Page[]; sizes: number[] }> {
  const pages: Page[] = [];
  const sizes: number[] = [];
  let offset: number | null = 0;
  while (offset !== null) {
    const response = await fetch(`${app!.urls.http}/api/v1/quarantine?${query}&offset=${offset}`, { headers: { authorization: `Bearer ${adminKey()}` } });
    const text = await response.text();
    const page = JSON.parse(text) as Page;
    pages.push(page);
    sizes.push(Buffer.byteLength(JSON.stringify(page.items)));
    offset = page.nextOffset;
  }
  return { pages, sizes };
}

describe('oversized payloads in the quarantine', () => {
  it('keep a prefix with the whole size and SHA-256, flagged as truncated; pages stay within their byte budget', async () => {
    await start({ quarantinePageBytes: 65_536 });
    const payloads = await flood(300, 200_000);
    expect(app!.gateway.quarantine.count()).toBe(300);
    const stored = app!.gateway.db.prepare<[], { n: number }>('SELECT SUM(length(payload)) AS n FROM quarantine').get()!.n;
    expect(stored).toBe(300 * 4096);

    const { pages, sizes } = await allPages('limit=1000');
    const entries = pages.flatMap((p) => p.items);
    expect(pages.length).toBeGreaterThan(1);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(65_536);
    expect(new Set(entries.map((e) => e.id)).size).toBe(300);
    // Newest first.
    const [newest] = entries;
    const sent = payloads.at(-1)!;
    expect(newest).toMatchObject({ reason: errorCodes.oversize, payloadSize: 200_000, payloadSha256: sha256(sent), payloadTruncated: true });
    expect(Buffer.from(newest!.payload, 'base64').equals(sent.subarray(0, 4096))).toBe(true);

    // A truncated message cannot be replayed: it stays.
    const replay = await api<{ replayed: number }>(app!.urls.http, 'POST', '/api/v1/quarantine/replay', { reason: errorCodes.oversize });
    expect(replay.body.replayed).toBe(0);
    expect(app!.gateway.quarantine.count()).toBe(300);
  });

  it('bound the quarantine in bytes as well as in entries: the oldest go past either, counted', async () => {
    await start({ quarantineMaxBytes: 262_144, quarantineMaxEntries: 100 });
    await flood(300, 200_000);
    const count = app!.gateway.quarantine.count();
    const held = app!.gateway.db.prepare<[], { n: number }>('SELECT SUM(stored_bytes) AS n FROM quarantine').get()!.n;
    expect(held).toBeLessThanOrEqual(262_144);
    expect(count).toBeLessThan(100);
    let metrics = await scrapeMetrics(app!.urls.http);
    expect(metrics).toContain(`parcours_quarantine_dropped_total ${300 - count}`);
    expect(metrics).toContain(`parcours_quarantine_bytes ${held}`);

    // Small messages fill the entries before the bytes.
    await flood(150, 10, 'parcours/devices/big/unknown-channel');
    expect(app!.gateway.quarantine.count()).toBe(100);
    metrics = await scrapeMetrics(app!.urls.http);
    expect(metrics).toContain(`parcours_quarantine_dropped_total ${450 - 100}`);
  });
});
