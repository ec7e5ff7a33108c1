import type { ConfigInput } from '@parcours/contracts';
import { runLoad } from '@parcours/firmware-sim';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, api, scrapeMetrics, startApp, testConfig } from './helpers.js';
import { connectRecording, waitUntil } from './mqtt-clients.js';

/**
 * Clients that publish too much, against a real Parcours: a device over its publish rate is slowed down,
 * not disconnected, and loses nothing; under overload QoS 0 device messages are dropped (neither stored
 * nor delivered) while QoS 1 ones are kept; and while a hundred devices flood QoS 0, a QoS 1 device is
 * acknowledged and /healthz answers.
 */
let app: ParcoursApp | null = null;
const clients: MqttClient[] = [];
const t0 = Date.UTC(2026, 8, 1);

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
  await app?.stop();
  app = null;
});

async function start(mqttConfig: ConfigInput['mqtt']): Promise<ParcoursApp> {
  app = await startApp(testConfig({ mqtt: mqttConfig }));
  return app;
}

async function device(id: string): Promise<string> {
  const { body } = await api<{ credentials: { secret: string } }>(app!.urls.http, 'POST', '/api/v1/devices', { id, type: 'meter' });
  return body.credentials.secret;
}

async function connect(options: mqtt.IClientOptions): Promise<MqttClient> {
  const client = await mqtt.connectAsync(app!.urls.mqtt, { reconnectPeriod: 0, ...options });
  clients.push(client);
  return client;
}

const telemetry = (seq: number) => JSON.stringify({ ts: t0 + seq, seq, metrics: { power_w: seq } });

/** A counter's value on /metrics, summed over the series whose labels include `labels`. */
function counted(metrics: string, name: string, labels: string): number {
  return metrics
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('a device over its publish rate', () => {
  it('is slowed down, whichever client ids it uses, and loses nothing at QoS 0 or 1', async () => {
    // Five messages a second after a burst of five, for the device's connections together.
    await start({ publishRate: 5, publishBurst: 5 });
    const secret = await device('chatty');
    const [a, b] = await Promise.all([
      connect({ clientId: 'chatty-a', username: 'chatty', password: secret }),
      connect({ clientId: 'chatty-b', username: 'chatty', password: secret }),
    ]);
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => a.publishAsync('parcours/devices/chatty/telemetry', telemetry(i), { qos: 1 })),
      ...Array.from({ length: 10 }, (_, i) => b.publishAsync('parcours/devices/chatty/telemetry', telemetry(10 + i), { qos: 0 })),
    ]);
    await waitUntil(() => app!.gateway.log.count() === 20);
    expect([a.connected, b.connected]).toEqual([true, true]);
    // Fifteen of the twenty waited for a token (fewer if tokens came in while they arrived); a bucket per
    // client id would have held at most ten.
    expect(counted(await scrapeMetrics(app!.urls.http), 'parcours_mqtt_limit_breaches_total', 'limit="publish_rate"')).toBeGreaterThan(10);
  });
});

describe('under overload', () => {
  it('drops QoS 0 device messages, stored nor delivered, keeps QoS 1 ones, and keeps the connection', async () => {
    // One message waiting to be stored is already an overload.
    await start({ overloadBacklog: 1 });
    const secret = await device('burst');
    const watcher = await connectRecording(app!.urls.mqtt, { clientId: 'ops', username: 'ops', password: adminKey() });
    clients.push(watcher.client);
    await watcher.client.subscribeAsync('parcours/devices/burst/telemetry', { qos: 1 });
    const burst = await connect({ clientId: 'burst', username: 'burst', password: secret });
    // Twenty QoS 0 messages in one write: the broker reads them together, while the first is being stored.
    const socket = burst.stream as unknown as { cork(): void; uncork(): void };
    socket.cork();
    for (let seq = 0; seq < 20; seq++) burst.publish('parcours/devices/burst/telemetry', telemetry(seq), { qos: 0 });
    socket.uncork();
    await burst.publishAsync('parcours/devices/burst/telemetry', telemetry(20), { qos: 1 });
    await waitUntil(() => watcher.messages.some((m) => m.payload === telemetry(20)));

    const stored = app!.gateway.log.readDevice('burst', 0, app!.gateway.log.lastOffset()).map((r) => r.seq);
    expect(stored).toContain(20);
    const metrics = await scrapeMetrics(app!.urls.http);
    const dropped = counted(metrics, 'parcours_mqtt_messages_dropped_total', 'reason="backlog"');
    expect(dropped).toBeGreaterThan(0);
    expect(stored.length + dropped).toBe(21);
    // What was dropped reached no subscriber either: it got exactly what was stored.
    expect(watcher.messages.map((m) => JSON.parse(m.payload).seq).sort((x, y) => x - y)).toEqual(stored.sort((x, y) => x - y));
    expect(burst.connected).toBe(true);
  });
});

describe('a QoS 0 flood from a hundred devices', () => {
  it('leaves a QoS 1 device acknowledged and /healthz answering, the flood slowed and its excess dropped', async () => {
    // The default rate (testConfig raises it for the simulated fleets that replay days at full speed).
    const { urls } = await start({ publishRate: 100 });
    const secret = await device('probe');
    const probe = await connect({ clientId: 'probe', username: 'probe', password: secret });
    const acks: Promise<unknown>[] = [];
    const health: Promise<{ status: number; body: { status: string } }>[] = [];
    let flooding = true;
    const probing = async () => {
      for (let seq = 0; flooding; seq++) {
        acks.push(probe.publishAsync('parcours/devices/probe/telemetry', telemetry(seq), { qos: 1 }));
        if (seq % 3 === 0) health.push(api(urls.http, 'GET', '/healthz', undefined, null));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    let probed: Promise<void> | null = null;
    const flood = await runLoad(
      {
        url: urls.mqtt,
        devices: { prefix: 'flood-', count: 100 },
        credentials: { apiUrl: urls.http, apiKey: adminKey() },
        rate: { total: 0 },
        qos: 0,
        window: 64,
        duration: '3s',
        processes: 2,
        // A QoS 0 publish "acknowledged" is a publish written: a slowed device may have some left unwritten.
        ackTimeout: '1s',
      },
      { onConnected: () => void (probed = probing()) },
    );
    flooding = false;
    await probed;
    expect(flood.connected).toBe(100);

    await Promise.all(acks);
    expect(acks.length).toBeGreaterThanOrEqual(5);
    expect(app!.gateway.log.readDevice('probe', 0, app!.gateway.log.lastOffset())).toHaveLength(acks.length);
    expect(probe.connected).toBe(true);
    for (const answer of await Promise.all(health)) expect(answer).toMatchObject({ status: 200, body: { status: 'ok' } });
    const metrics = await scrapeMetrics(urls.http);
    expect(counted(metrics, 'parcours_mqtt_limit_breaches_total', 'limit="publish_rate"')).toBeGreaterThan(0);
    expect(counted(metrics, 'parcours_mqtt_messages_dropped_total', '')).toBeGreaterThan(0);
  });
});
