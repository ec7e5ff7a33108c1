import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { connect as connectTls } from 'node:tls';
import type { MqttBroker } from '@parcours/broker';
import type { ConfigInput } from '@parcours/contracts';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { createCa, createServerCertificate } from '../src/certs/dev-certificates.js';
import { api, scrapeMetrics, startApp, testConfig } from './helpers.js';
import { waitUntil } from './mqtt-clients.js';

/**
 * Who gets to talk to the broker before logging in, over real sockets: packets pipelined behind the
 * CONNECT, sockets that never log in, and addresses whose logins fail.
 */
let app: ParcoursApp | null = null;
let sockets: Duplex[] = [];

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets = [];
  await app?.stop();
  app = null;
});

async function start(mqttOverrides: ConfigInput['mqtt'] = {}): Promise<ParcoursApp> {
  app = await startApp(testConfig({ mqtt: mqttOverrides }));
  return app;
}

async function device(id: string): Promise<string> {
  return (await api<{ credentials: { secret: string } }>(app!.urls.http, 'POST', '/api/v1/devices', { id, type: 'meter' })).body.credentials.secret;
}

/** A device speaking MQTT byte for byte: what it writes goes out in one write, every packet it gets back is kept. */
interface RawDevice {
  write(packets: Packet[]): void;
  received: Packet[];
  isClosed(): boolean;
}

/**
 * A TCP connection to the broker's TCP listener unless `port` names another; `from` is its address: every
 * 127.x.y.z is this machine, so a test can stand for several addresses.
 */
function tcpSocket(from = '127.0.0.1', port = Number(new URL(app!.urls.mqtt).port)): Socket {
  const socket = connectTcp({ port, host: '127.0.0.1', localAddress: from });
  sockets.push(socket);
  socket.on('error', () => undefined);
  return socket;
}

function rawDevice(socket: Duplex = tcpSocket()): RawDevice {
  const parser = mqttPacket.parser();
  const received: Packet[] = [];
  parser.on('packet', (packet) => received.push(packet));
  socket.on('data', (chunk) => parser.parse(chunk));
  let isClosed = false;
  socket.once('close', () => {
    isClosed = true;
  });
  return {
    write: (packets) => socket.write(Buffer.concat(packets.map((packet) => mqttPacket.generate(packet)))),
    received,
    isClosed: () => isClosed,
  };
}

function connectPacket(deviceId: string, password: string): Packet {
  return {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    keepalive: 60,
    clientId: deviceId,
    username: deviceId,
    password: Buffer.from(password),
  };
}

function telemetry(deviceId: string, seq: number, extra = ''): Packet {
  const payload = JSON.stringify({ ts: Date.UTC(2026, 0, 1), seq, metrics: { w: seq }, ...(extra ? { note: extra } : {}) });
  return { cmd: 'publish', topic: `parcours/devices/${deviceId}/telemetry`, payload, qos: 1, messageId: seq, retain: false, dup: false };
}

const sent = (device: RawDevice, cmd: Packet['cmd']) => device.received.filter((packet) => packet.cmd === cmd);

function breaches(metrics: string, limit: string, listener = 'tcp'): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`parcours_mqtt_limit_breaches_total{listener="${listener}",limit="${limit}"} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('packets pipelined behind the CONNECT (allowed by MQTT 3.1.1)', () => {
  it('answers a CONNECT followed in the same write by 100 QoS 1 publishes with a CONNACK and 100 PUBACKs, all stored', async () => {
    await start();
    const d1 = rawDevice();
    d1.write([connectPacket('d1', await device('d1')), ...Array.from({ length: 100 }, (_, i) => telemetry('d1', i + 1))]);
    await waitUntil(() => sent(d1, 'puback').length === 100 || d1.isClosed());
    expect(d1.received[0]).toMatchObject({ cmd: 'connack', returnCode: 0 });
    expect(sent(d1, 'puback').map((ack) => ack.messageId)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(app!.gateway.log.count()).toBe(100);
  });

  it('takes a 100 KiB publish written with its CONNECT, which arrives in several reads', async () => {
    await start();
    const d1 = rawDevice();
    d1.write([connectPacket('d1', await device('d1')), telemetry('d1', 1, 'x'.repeat(100 * 1024))]);
    await waitUntil(() => sent(d1, 'puback').length === 1 || d1.isClosed());
    expect(d1.received.map((packet) => packet.cmd)).toEqual(['connack', 'puback']);
    // Over gateway.maxPayloadBytes (64 KiB) but under mqtt.maxPacketSize: acknowledged and quarantined, not lost.
    expect(app!.gateway.quarantine.count()).toBe(1);
  });

  it('refuses more pipelined packets than the in-flight limit, or one over the size limit, and counts them', async () => {
    await start({ maxInflight: 10, maxPacketSize: 4096 });
    const secret = await device('d1');
    const flood = rawDevice();
    flood.write([connectPacket('d1', secret), ...Array.from({ length: 20 }, (_, i) => telemetry('d1', i + 1))]);
    await waitUntil(flood.isClosed);
    const large = rawDevice();
    large.write([connectPacket('d1', secret), telemetry('d1', 1, 'x'.repeat(10_000))]);
    await waitUntil(large.isClosed);
    expect(sent(flood, 'puback')).toEqual([]);
    expect(sent(large, 'puback')).toEqual([]);
    const metrics = await scrapeMetrics(app!.urls.http);
    expect(metrics).toContain('parcours_mqtt_limit_breaches_total{listener="tcp",limit="inflight"} 1');
    expect(metrics).toContain('parcours_mqtt_limit_breaches_total{listener="tcp",limit="packet_size"} 1');
    expect(app!.gateway.log.count()).toBe(0);
  });
});

describe('failed logins', () => {
  /** Resolves with the CONNACK return code the broker answers a raw CONNECT with. */
  async function login(username: string, password: string): Promise<number | undefined> {
    const client = rawDevice();
    client.write([connectPacket(username, password)]);
    await waitUntil(() => client.received.length > 0 || client.isClosed());
    return (client.received[0] as { returnCode?: number } | undefined)?.returnCode;
  }

  it('lock out one login from an address, not the devices behind the same address', async () => {
    await start({ authFailureLimit: 3 });
    const good = await device('good');
    await device('revoked');
    for (let i = 0; i < 3; i++) expect(await login('revoked', 'old secret')).toBe(4);
    // The same login is refused whatever it sends now (a guesser cannot tell when it has found it)…
    expect(await login('revoked', 'anything')).toBe(5);
    // …while a device behind the same address (here, all of them are on 127.0.0.1) logs in.
    expect(await login('good', good)).toBe(0);
    const metrics = await scrapeMetrics(app!.urls.http);
    expect(metrics).toContain('parcours_mqtt_limit_breaches_total{listener="tcp",limit="auth_rate_limited"} 1');
  });

  it('lock out a whole address past a higher ceiling, when it tries one user name after another', async () => {
    await start({ authFailureLimit: 3, authFailureAddressLimit: 10 });
    const good = await device('good');
    for (let i = 0; i < 10; i++) expect(await login(`guess-${i}`, 'password')).toBe(4);
    expect(await login('guess-10', 'password')).toBe(5);
    expect(await login('good', good)).toBe(5);
    const metrics = await scrapeMetrics(app!.urls.http);
    expect(metrics).toContain('parcours_mqtt_auth_failures_total{listener="tcp",reason="bad_credentials"} 10');
    expect(metrics).toContain('parcours_mqtt_limit_breaches_total{listener="tcp",limit="auth_address_rate_limited"} 2');
  });
});

describe('sockets that never log in', () => {
  /** Opens `count` sockets from `from` that send nothing; the function returned says how many the broker has closed so far. */
  function silentSockets(count: number, from: string, port?: number): () => number {
    let closed = 0;
    for (let i = 0; i < count; i++) {
      tcpSocket(from, port).once('close', () => {
        closed += 1;
      });
    }
    return () => closed;
  }

  async function publishOnce(d: RawDevice, seq: number): Promise<void> {
    const before = sent(d, 'puback').length;
    d.write([telemetry('d1', seq)]);
    await waitUntil(() => sent(d, 'puback').length > before || d.isClosed());
    expect(sent(d, 'puback').length).toBe(before + 1);
  }

  it('are capped per address, closed at once past the cap, while devices elsewhere log in and publish', async () => {
    await start({ maxPendingPerAddress: 50 });
    const secret = await device('d1');
    const closedByBroker = silentSockets(500, '127.0.0.1');
    await waitUntil(() => closedByBroker() === 450);
    const d1 = rawDevice(tcpSocket('127.0.0.2'));
    d1.write([connectPacket('d1', secret)]);
    await publishOnce(d1, 1);
    const metrics = await scrapeMetrics(app!.urls.http);
    expect(metrics).toContain('parcours_mqtt_connections_pending{listener="tcp"} 50');
    expect(metrics).toContain('parcours_mqtt_limit_breaches_total{listener="tcp",limit="pending_per_address"} 450');
  });

  it('are capped in total, and closed after the busy timeout once they fill more than half the cap; logged-in devices go on', async () => {
    await start({ maxPending: 60, busyConnectTimeout: '1s' });
    const d1 = rawDevice(tcpSocket('127.0.0.2'));
    d1.write([connectPacket('d1', await device('d1'))]);
    await publishOnce(d1, 1);
    const closedByBroker = silentSockets(70, '127.0.0.1');
    await waitUntil(() => closedByBroker() >= 10);
    await publishOnce(d1, 2);
    await waitUntil(() => closedByBroker() === 70);
    await publishOnce(d1, 3);
    const metrics = await scrapeMetrics(app!.urls.http);
    expect(metrics).toContain('parcours_mqtt_connections_pending{listener="tcp"} 0');
    // 10 past the cap, 60 silent for too long (a few more of the latter if opening them took longer than the timeout).
    const [pastCap, timedOut] = [breaches(metrics, 'pending_connections'), breaches(metrics, 'pending_timeout')];
    expect(pastCap).toBeGreaterThan(0);
    expect(timedOut).toBeGreaterThanOrEqual(60);
    expect(pastCap + timedOut).toBe(70);
  });

  it('count on TLS from the first byte and on WebSocket from the upgrade, against the same caps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parcours-certs-'));
    const server = createServerCertificate(createCa(), ['127.0.0.1']);
    writeFileSync(join(dir, 'server.crt'), server.cert);
    writeFileSync(join(dir, 'server.key'), server.key);
    await start({ tlsPort: 0, tlsCert: join(dir, 'server.crt'), tlsKey: join(dir, 'server.key'), maxPendingPerAddress: 3 });
    const secret = await device('d1');
    const tlsPort = (app!.broker as MqttBroker).tlsPort;
    const httpPort = Number(new URL(app!.urls.http).port);
    const upgrade =
      'GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n';

    const closedByBroker = silentSockets(4, '127.0.0.1', tlsPort); // no TLS handshake at all
    await waitUntil(() => closedByBroker() === 1);
    const refusedUpgrade = tcpSocket('127.0.0.1', httpPort);
    refusedUpgrade.write(upgrade);
    await new Promise((resolve) => refusedUpgrade.once('close', resolve));
    const silentUpgrade = tcpSocket('127.0.0.2', httpPort);
    silentUpgrade.write(upgrade);
    await new Promise((resolve) => silentUpgrade.once('data', resolve)); // 101 Switching Protocols, then no CONNECT

    const overTls = connectTls({ socket: tcpSocket('127.0.0.2', tlsPort), rejectUnauthorized: false });
    sockets.push(overTls);
    const d1 = rawDevice(overTls);
    d1.write([connectPacket('d1', secret), telemetry('d1', 1)]);
    await waitUntil(() => sent(d1, 'puback').length === 1 || d1.isClosed());
    expect(sent(d1, 'puback')).toHaveLength(1);
    const metrics = await scrapeMetrics(app!.urls.http);
    expect(metrics).toContain('parcours_mqtt_connections_pending{listener="tls"} 3');
    expect(metrics).toContain('parcours_mqtt_connections_pending{listener="ws"} 1');
    expect(metrics).toContain('parcours_mqtt_limit_breaches_total{listener="tls",limit="pending_per_address"} 1');
    expect(metrics).toContain('parcours_mqtt_limit_breaches_total{listener="ws",limit="pending_per_address"} 1');
    expect(metrics).toContain('parcours_mqtt_connects_total{listener="tls"} 1');
  });
});
