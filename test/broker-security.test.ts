import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttBroker } from '@parcours/broker';
import type { ConfigInput } from '@parcours/contracts';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { createCa, createDeviceCertificate, createServerCertificate, type Pem } from '../src/certs/dev-certificates.js';
import { adminKey, api, scrapeMetrics, startApp, testConfig } from './helpers.js';
import { recordMessages, settle, waitUntil } from './mqtt-clients.js';

/**
 * The embedded broker's security over real sockets: every ACL rule with attempts to escape
 * it, API-key logins, TLS with client certificates, WebSocket, and the admission and packet limits.
 */
let app: ParcoursApp | null = null;
let clients: MqttClient[] = [];

afterEach(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  clients = [];
  await app?.stop();
  app = null;
});

async function start(mqttOverrides: ConfigInput['mqtt'] = {}): Promise<ParcoursApp> {
  app = await startApp(testConfig({ mqtt: { sysInterval: '1s', ...mqttOverrides } }));
  return app;
}

async function device(id: string): Promise<string> {
  expect((await api(app!.urls.http, 'POST', '/api/v1/devices', { id, type: 'meter' })).status).toBe(201);
  return (await api<{ secret: string }>(app!.urls.http, 'POST', `/api/v1/devices/${id}/credentials`)).body.secret;
}

async function connect(options: IClientOptions, url = app!.urls.mqtt): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  clients.push(client);
  return client;
}

/** The granted QoS per filter: 128 is a refusal (SUBACK 0x80). */
async function granted(client: MqttClient, filter: string): Promise<number> {
  try {
    const [grant] = await client.subscribeAsync(filter, { qos: 1 });
    return grant!.qos;
  } catch (error) {
    // MQTT.js rejects a SUBACK holding 0x80; the packet is on the error.
    const codes = (error as { packet?: { granted?: number[] } }).packet?.granted;
    if (!codes) throw error;
    return codes[0]!;
  }
}

/** Publishes and resolves with whether the broker closed the connection instead of acknowledging. */
async function disconnectedBy(client: MqttClient, topic: string, payload = '{}'): Promise<boolean> {
  const closed = new Promise<boolean>((resolve) => client.once('close', () => resolve(true)));
  const acked = client.publishAsync(topic, payload, { qos: 1 }).then(
    () => false,
    () => true,
  );
  return Promise.race([closed, acked]);
}

describe('ACLs on real connections', () => {
  it('keeps a device under its own devices/{id}/, whatever filter it tries', async () => {
    await start();
    const secret = await device('d1');
    await device('d2');
    const d1 = await connect({ clientId: 'd1', username: 'd1', password: secret });
    for (const filter of [
      '#',
      '+/#',
      'parcours/#',
      'parcours/devices/#',
      'parcours/devices/+/commands/#',
      'parcours/devices/d2/commands/#',
      '$SYS/#',
      'parcours/subjects/#',
      'parcours/quarantine/#',
    ]) {
      expect(await granted(d1, filter), filter).toBe(128);
    }
    expect(await granted(d1, 'parcours/devices/d1/commands/#')).toBe(1);
    const inbox = recordMessages(d1);
    await app!.broker.publish('parcours/devices/d1/commands/reboot', 'now', { qos: 1 });
    await app!.broker.publish('parcours/devices/d2/commands/reboot', 'now', { qos: 1 });
    await waitUntil(() => inbox.length >= 1);
    await settle(150); // d2's command, published after d1's, would be next
    expect(inbox.map((m) => m.topic)).toEqual(['parcours/devices/d1/commands/reboot']);
    expect(await scrapeMetrics(app!.urls.http)).toContain('parcours_mqtt_denied_subscribes_total{listener="tcp"} 9');
  });

  it('refuses a connection whose will is outside what the client may publish', async () => {
    await start();
    const secret = await device('d1');
    await device('d2');
    const will = { topic: 'parcours/devices/d2/status', payload: Buffer.from('offline'), qos: 1 as const, retain: true };
    await expect(connect({ clientId: 'd1', username: 'd1', password: secret, will })).rejects.toThrow(/Not authorized/i);
    expect(await scrapeMetrics(app!.urls.http)).toContain('parcours_mqtt_auth_failures_total{listener="tcp",reason="will_not_allowed"} 1');
  });

  it('disconnects a device that publishes outside its prefix, counts it, and stores nothing', async () => {
    await start();
    const secret = await device('d1');
    for (const topic of ['parcours/subjects/s1/sessions', 'parcours/quarantine/d1', '$SYS/broker/uptime', 'parcours/devices/d1/commands/x']) {
      const d1 = await connect({ clientId: `d1-${topic.length}`, username: 'd1', password: secret });
      expect(await disconnectedBy(d1, topic), topic).toBe(true);
    }
    expect(app!.gateway.log.count()).toBe(0);
    expect(await scrapeMetrics(app!.urls.http)).toContain('parcours_mqtt_denied_publishes_total{listener="tcp"} 4');
  });

  it('lets an integrator read only its subjects, a reader every subject, and an admin everything', async () => {
    await start();
    const crm = app!.gateway.apiKeys.create({ name: 'crm', role: 'integrator', subjects: ['family-1'] });
    const bi = app!.gateway.apiKeys.create({ name: 'bi', role: 'reader' });
    const integrator = await connect({ clientId: 'crm', username: 'crm', password: crm.key });
    const reader = await connect({ clientId: 'bi', username: 'bi', password: bi.key });
    const operator = await connect({ clientId: 'ops', username: 'ops', password: adminKey() });
    const [integratorInbox, readerInbox, operatorInbox] = [recordMessages(integrator), recordMessages(reader), recordMessages(operator)];
    expect(await granted(integrator, 'parcours/subjects/family-1/#')).toBe(1);
    for (const filter of ['parcours/subjects/+/sessions', 'parcours/subjects/#', 'parcours/subjects/family-2/sessions', 'parcours/devices/#', '#', '$SYS/#']) {
      expect(await granted(integrator, filter), filter).toBe(128);
    }
    expect(await granted(reader, 'parcours/subjects/+/sessions')).toBe(1);
    expect(await granted(reader, 'parcours/quarantine/#')).toBe(128);
    expect(await granted(operator, '#')).toBe(1);
    expect(await granted(operator, '$SYS/#')).toBe(1);

    await app!.broker.publish('parcours/subjects/family-1/sessions', '{"n":1}', { qos: 1 });
    await app!.broker.publish('parcours/subjects/family-2/sessions', '{"n":2}', { qos: 1 });
    await waitUntil(
      () =>
        integratorInbox.length >= 1 &&
        readerInbox.length >= 2 &&
        operatorInbox.filter((m) => m.topic.startsWith('parcours/')).length >= 2 &&
        operatorInbox.some((m) => m.topic === '$SYS/broker/clients/connected'),
    );
    await settle(150); // family-2's session must not reach the integrator
    expect(integratorInbox.map((m) => m.topic)).toEqual(['parcours/subjects/family-1/sessions']);
    expect(readerInbox.map((m) => m.topic)).toEqual(['parcours/subjects/family-1/sessions', 'parcours/subjects/family-2/sessions']);
    expect(operatorInbox.filter((m) => m.topic.startsWith('parcours/'))).toHaveLength(2);
    expect(operatorInbox.some((m) => m.topic === '$SYS/broker/clients/connected')).toBe(true);
    expect(await disconnectedBy(integrator, 'parcours/subjects/family-1/sessions')).toBe(true);
  });

  it('refuses anonymous clients by default and applies the anonymous ACL when they are allowed', async () => {
    await start();
    await expect(connect({ clientId: 'anon' })).rejects.toThrow(/Not authorized/i);
    await app!.stop();
    await start({ allowAnonymous: true, anonymousAcl: 'read {base}/subjects/#' });
    const anonymous = await connect({ clientId: 'anon' });
    expect(await granted(anonymous, 'parcours/subjects/+/sessions')).toBe(1);
    expect(await granted(anonymous, 'parcours/devices/#')).toBe(128);
    expect(await disconnectedBy(anonymous, 'parcours/devices/x/telemetry')).toBe(true);
  });
});

describe('authentication failures and limits', () => {
  it('answers bad credentials with CONNACK 4, then refuses that login from the address with 5 once it has failed too often', async () => {
    await start({ authFailureLimit: 3 });
    const secret = await device('d1');
    for (let i = 0; i < 3; i++) await expect(connect({ clientId: `x${i}`, username: 'd1', password: 'wrong' })).rejects.toThrow(/Bad username or password/i);
    // Even the right secret is refused now: a guesser cannot tell when it has found it.
    await expect(connect({ clientId: 'd1', username: 'd1', password: secret })).rejects.toThrow(/Not authorized/i);
    const metrics = await scrapeMetrics(app!.urls.http);
    expect(metrics).toContain('parcours_mqtt_auth_failures_total{listener="tcp",reason="bad_credentials"} 3');
    expect(metrics).toContain('parcours_mqtt_limit_breaches_total{listener="tcp",limit="auth_rate_limited"} 1');
  });

  it('refuses connections past max connections and the connect rate with CONNACK 3', async () => {
    await start({ maxConnections: 2, allowAnonymous: true });
    await connect({ clientId: 'a' });
    await connect({ clientId: 'b' });
    await expect(connect({ clientId: 'c' })).rejects.toThrow(/Server unavailable/i);
    await app!.stop();
    await start({ connectRate: 2, allowAnonymous: true });
    const results = await Promise.allSettled(['a', 'b', 'c', 'd'].map((clientId) => connect({ clientId })));
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(2);
    expect(await scrapeMetrics(app!.urls.http)).toContain('parcours_mqtt_limit_breaches_total{listener="tcp",limit="connect_rate"} 2');
  });

  it('disconnects a client with more messages being stored at once than its in-flight limit', async () => {
    await start({ maxInflight: 2 });
    const secret = await device('d1');
    const d1 = await connect({ clientId: 'd1', username: 'd1', password: secret });
    const closed = new Promise<void>((resolve) => d1.once('close', () => resolve()));
    // Written in one go, the publishes reach the broker in one read and are stored concurrently.
    for (let seq = 1; seq <= 50; seq++)
      d1.publish('parcours/devices/d1/telemetry', JSON.stringify({ ts: Date.UTC(2026, 0, 1), seq, metrics: { w: seq } }), { qos: 1 });
    await closed;
    expect(await scrapeMetrics(app!.urls.http)).toContain('parcours_mqtt_limit_breaches_total{listener="tcp",limit="inflight"} 1');
    expect(app!.gateway.log.count()).toBeLessThan(50);
  });

  it('disconnects a client that sends a packet over the size limit, before buffering it', async () => {
    await start({ maxPacketSize: 4096 });
    const secret = await device('d1');
    const d1 = await connect({ clientId: 'd1', username: 'd1', password: secret });
    expect(await disconnectedBy(d1, 'parcours/devices/d1/telemetry', 'x'.repeat(10_000))).toBe(true);
    expect(await scrapeMetrics(app!.urls.http)).toContain('parcours_mqtt_limit_breaches_total{listener="tcp",limit="packet_size"} 1');
    expect(app!.gateway.log.count()).toBe(0);
  });
});

describe('TLS and WebSocket listeners', () => {
  function writeCerts(): { dir: string; ca: Pem } {
    const dir = mkdtempSync(join(tmpdir(), 'parcours-certs-'));
    const ca = createCa();
    const server = createServerCertificate(ca, ['localhost', '127.0.0.1']);
    writeFileSync(join(dir, 'ca.crt'), ca.cert);
    writeFileSync(join(dir, 'server.crt'), server.cert);
    writeFileSync(join(dir, 'server.key'), server.key);
    return { dir, ca };
  }

  it('authenticates over TLS with a secret or a client certificate (CN = device id)', async () => {
    const { dir, ca } = writeCerts();
    await start({ tlsPort: 0, tlsCert: join(dir, 'server.crt'), tlsKey: join(dir, 'server.key'), tlsCa: join(dir, 'ca.crt') });
    const secret = await device('d1');
    await device('d2');
    const url = `mqtts://127.0.0.1:${(app!.broker as MqttBroker).tlsPort}`;
    const withSecret = await connect({ clientId: 'd1', username: 'd1', password: secret, ca: ca.cert }, url);
    expect(withSecret.connected).toBe(true);
    await withSecret.publishAsync('parcours/devices/d1/telemetry', JSON.stringify({ ts: Date.UTC(2026, 0, 1), seq: 1, metrics: { w: 1 } }), { qos: 1 });

    const d2 = createDeviceCertificate(ca, 'd2');
    const withCert = await connect({ clientId: 'd2', cert: d2.cert, key: d2.key, ca: ca.cert }, url);
    await withCert.publishAsync('parcours/devices/d2/telemetry', JSON.stringify({ ts: Date.UTC(2026, 0, 1), seq: 1, metrics: { w: 2 } }), { qos: 1 });
    expect(app!.gateway.log.count()).toBe(2);
    // The certificate says d2: it cannot speak for d1.
    expect(await disconnectedBy(withCert, 'parcours/devices/d1/telemetry')).toBe(true);

    const ghost = createDeviceCertificate(ca, 'ghost');
    await expect(connect({ clientId: 'ghost', cert: ghost.cert, key: ghost.key, ca: ca.cert }, url)).rejects.toThrow(/Not authorized/i);
    // A certificate from another CA proves nothing: the client is refused (OpenSSL may fail the socket
    // itself while checking the signature, so the refusal can be a closed connection rather than a CONNACK).
    const stranger = createDeviceCertificate(createCa(), 'd2');
    const client = mqtt.connect(url, { clientId: 'stranger', cert: stranger.cert, key: stranger.key, ca: ca.cert, reconnectPeriod: 0 });
    clients.push(client);
    expect(
      await new Promise((resolve) => {
        client.once('connect', () => resolve('connected'));
        client.once('close', () => resolve('refused'));
      }),
    ).toBe('refused');
    expect(await scrapeMetrics(app!.urls.http)).toMatch(/parcours_mqtt_connects_total\{listener="tls"\} 2/);
  });

  it('serves MQTT over WebSocket on the HTTP port', async () => {
    await start();
    const secret = await device('d1');
    const url = `${app!.urls.http.replace('http', 'ws')}/mqtt`;
    const d1 = await connect({ clientId: 'd1', username: 'd1', password: secret }, url);
    await d1.publishAsync('parcours/devices/d1/telemetry', JSON.stringify({ ts: Date.UTC(2026, 0, 1), seq: 1, metrics: { w: 1 } }), { qos: 1 });
    expect(app!.gateway.log.count()).toBe(1);
    const metrics = await scrapeMetrics(app!.urls.http);
    expect(metrics).toContain('parcours_mqtt_clients_connected{listener="ws"} 1');
    expect(metrics).toContain('parcours_mqtt_messages_received_total{listener="ws"} 1');
    expect(Number(/parcours_mqtt_bytes_received_total\{listener="ws"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(50);
  });
});
