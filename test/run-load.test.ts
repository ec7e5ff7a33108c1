import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Aedes } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { runLoad } from '@parcours/firmware-sim';
import { startApiDouble, type ApiDouble } from './api-double.js';

/** The load coordinator with real worker processes against a real aedes broker. */
describe('runLoad', () => {
  let broker: Aedes | null = null;
  let server: Server | null = null;
  let api: ApiDouble | null = null;

  afterEach(async () => {
    if (broker && !broker.closed) await new Promise<void>((resolve) => broker!.close(() => resolve()));
    if (server?.listening) await new Promise<void>((resolve) => server!.close(() => resolve()));
    await api?.close();
    broker = server = api = null;
  });

  /** A broker counting the telemetry it acknowledges; `ackDelayMs` holds every PUBACK back that long. */
  async function startBroker(options: { ackDelayMs?: number; authenticate?: (username?: string, password?: string) => boolean } = {}) {
    const { Aedes } = await import('aedes');
    const received = { count: 0 };
    broker = await Aedes.createBroker({
      authenticate: (_client, username, password, done) => done(null, options.authenticate?.(username, password?.toString('utf8')) ?? true),
      authorizePublish: (_client, packet, done) => {
        if (packet.topic.endsWith('/telemetry')) received.count++;
        setTimeout(() => done(null), options.ackDelayMs ?? 0);
      },
    });
    server = createServer(broker.handle);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
  }

  it('paces registered devices over two processes at the target rate, every message acked', async () => {
    api = await startApiDouble();
    const double = api;
    const { url, received } = await startBroker({ authenticate: (u, p) => double.authenticate(u, p) });
    const progress: number[] = [];
    const report = await runLoad(
      {
        url,
        devices: { prefix: 'meter-', count: 6 },
        credentials: { apiUrl: api.url, apiKey: 'test-key' },
        rate: { perDevice: 50 },
        duration: '2s',
        processes: 2,
      },
      { onProgress: (counts) => progress.push(counts.sent) },
    );
    expect(api.requests.filter((r) => r.path === '/api/v1/devices' && r.status === 201)).toHaveLength(6);
    expect(report).toMatchObject({ devices: 6, processes: 2, connected: 6, connectFailed: 0, failed: 0, unacked: 0, targetRate: 300 });
    expect(report.acked).toBe(report.sent);
    expect(received.count).toBe(report.acked);
    // Paced on a schedule that catches up after a stall: the 2 s bring about their 600 messages on a busy
    // machine too (the rate, over the time the last acks took as well, would depend on its speed).
    expect(report.sent).toBeGreaterThanOrEqual(600 * 0.9);
    expect(report.rate).toBeLessThan(300 * 1.1);
    const { p50, p95, p99, max } = report.latencyMs!;
    expect(p50).toBeGreaterThan(0);
    expect([p50, p95, p99, max]).toEqual([p50, p95, p99, max].sort((a, b) => a - b));
    expect(progress.length).toBeGreaterThan(0);
    expect(report.connectRate).toBeGreaterThan(0);
  });

  it('never has more than the window unacknowledged per device, and saturation is bounded by it', async () => {
    const { url, received } = await startBroker({ ackDelayMs: 20 });
    const report = await runLoad({ url, devices: { prefix: 'd', count: 4 }, rate: { total: 0 }, window: 3, duration: '2s', processes: 2 });
    // The worker counts in-flight messages itself: the window must be reached and never exceeded.
    expect(report.maxInFlight).toBe(3);
    expect(report.acked).toBe(report.sent);
    expect(received.count).toBe(report.acked);
    // Each device gets at most 3 messages per 20 ms acknowledged: 4 × 150 msg/s.
    expect(report.rate).toBeLessThan(4 * 150 * 1.05);
    expect(report.latencyMs!.p50).toBeGreaterThanOrEqual(19);
    // And the window stays full: 4 × 3 in flight at all times, each for at most the slowest ack (a busy
    // machine makes acks slower, not the window emptier).
    expect(report.rate).toBeGreaterThan(((4 * 3 * 1000) / report.latencyMs!.max) * 0.5);
  });

  it('rejects when no device can connect', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(runLoad({ url: `mqtt://127.0.0.1:${port}`, devices: { count: 2 }, rate: { perDevice: 1 }, duration: '1s', processes: 2 })).rejects.toThrow(
      /no device could connect/,
    );
  });
});
