import { execFile, spawn } from 'node:child_process';
import { connect as connectTcp } from 'node:net';
import { promisify } from 'node:util';
import type { DevicePresence } from '@parcours/contracts';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { ensureInstalled } from '../tools/services/ensure-installed.js';
import { adminKey, api, startApp, testConfig } from './helpers.js';
import { settle, waitUntil } from './mqtt-clients.js';

/**
 * MQTT 3.1.1 in the corners (docs/broker.md, "Conformance") against the embedded broker, with MQTT.js and with
 * a third-party client, Debian's mosquitto_pub/mosquitto_sub; and device presence from status and will.
 */
const run = promisify(execFile);
let app: ParcoursApp;
let secret: string;
let clients: MqttClient[] = [];

beforeEach(async () => {
  app = await startApp(testConfig());
  await api(app.urls.http, 'POST', '/api/v1/devices', { id: 'd1', type: 'meter' });
  secret = (await api<{ secret: string }>(app.urls.http, 'POST', '/api/v1/devices/d1/credentials')).body.secret;
});

afterEach(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  clients = [];
  await app.stop();
});

async function connect(options: IClientOptions): Promise<MqttClient> {
  const client = await mqtt.connectAsync(app.urls.mqtt, { reconnectPeriod: 0, protocolVersion: 4, ...options });
  clients.push(client);
  return client;
}

const asDevice = (options: IClientOptions = {}) => connect({ clientId: 'd1', username: 'd1', password: secret, ...options });
const asOperator = (clientId = 'ops') => connect({ clientId, username: 'ops', password: adminKey() });

function inbox(client: MqttClient): { topic: string; payload: string; qos: number; retain: boolean }[] {
  const list: { topic: string; payload: string; qos: number; retain: boolean }[] = [];
  client.on('message', (topic, payload, packet) => list.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain }));
  return list;
}

describe('MQTT 3.1.1 corner cases', () => {
  it('refuses an empty client id with a persistent session (CONNACK 0x02) [MQTT-3.1.3-8]', async () => {
    // MQTT.js and mqtt-packet refuse to send that CONNECT, so its bytes are written on a raw socket.
    const field = (value: string) => Buffer.concat([Buffer.from([0, Buffer.byteLength(value)]), Buffer.from(value)]);
    const body = Buffer.concat([field('MQTT'), Buffer.from([4, 0b1100_0000, 0, 30]), field(''), field('d1'), field(secret)]);
    const socket = connectTcp(Number(new URL(app.urls.mqtt).port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
    const connack = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
    socket.destroy();
    expect([...connack]).toEqual([0x20, 2, 0, 2]); // CONNACK, session present 0, return code 2
    const generated = await asDevice({ clientId: '', clean: true });
    expect(generated.connected).toBe(true);
  });

  it('delivers a message matching overlapping subscriptions at the highest of their QoS [MQTT-3.3.5-1]', async () => {
    const device = await asDevice();
    const received = inbox(device);
    await device.subscribeAsync('parcours/devices/d1/#', { qos: 0 });
    await device.subscribeAsync('parcours/devices/d1/commands/+', { qos: 1 });
    await app.broker.publish('parcours/devices/d1/commands/reboot', 'now', { qos: 1 });
    await waitUntil(() => received.length >= 1);
    await settle(150); // a second copy would follow the first
    expect(received.map((m) => [m.topic, m.qos])).toEqual([['parcours/devices/d1/commands/reboot', 1]]);
    await app.broker.publish('parcours/devices/d1/status-echo', 'x', { qos: 1 }); // only the QoS 0 filter matches
    await waitUntil(() => received.length >= 2);
    expect(received.map((m) => [m.topic, m.qos]).at(-1)).toEqual(['parcours/devices/d1/status-echo', 0]);
  });

  it('delivers at the lower of the publish QoS and the granted QoS, wildcard filters included [MQTT-3.8.4-6]', async () => {
    const device = await asDevice();
    const received = inbox(device);
    await device.subscribeAsync('parcours/devices/d1/commands/#', { qos: 1 });
    await app.broker.publish('parcours/devices/d1/commands/a', 'two', { qos: 2 });
    await app.broker.publish('parcours/devices/d1/commands/b', 'zero', { qos: 0 });
    await waitUntil(() => received.length >= 2);
    expect(received.map((m) => [m.payload, m.qos]).sort()).toEqual([
      ['two', 1],
      ['zero', 0],
    ]);
  });

  it('keeps a retained message for new subscribers and clears it with an empty retained one [MQTT-3.3.1-10]', async () => {
    const device = await asDevice();
    await device.publishAsync('parcours/devices/d1/status', 'online', { qos: 1, retain: true });
    const first = await asOperator('ops-1');
    const seen = inbox(first);
    await first.subscribeAsync('parcours/devices/+/status', { qos: 1 });
    await waitUntil(() => seen.length >= 1);
    expect(seen).toEqual([{ topic: 'parcours/devices/d1/status', payload: 'online', qos: 1, retain: true }]);

    await device.publishAsync('parcours/devices/d1/status', '', { qos: 1, retain: true });
    const second = await asOperator('ops-2');
    const none = inbox(second);
    await second.subscribeAsync('parcours/devices/+/status', { qos: 1 });
    await settle(150);
    expect(none).toEqual([]);
  });

  it('publishes the will on an ungraceful disconnect only, and records presence changes', async () => {
    const operator = await asOperator();
    const seen = inbox(operator);
    await operator.subscribeAsync('parcours/devices/d1/status', { qos: 1 });
    const will = { topic: 'parcours/devices/d1/status', payload: Buffer.from('offline'), qos: 1 as const, retain: true };
    const graceful = await asDevice({ will });
    await graceful.publishAsync('parcours/devices/d1/status', 'online', { qos: 1, retain: true });
    await graceful.endAsync();
    await waitUntil(() => seen.length >= 1);
    await settle(150); // no will follows a graceful disconnect
    expect(seen.map((m) => m.payload)).toEqual(['online']);

    const crashing = await asDevice({ will });
    crashing.stream.destroy();
    await waitUntil(() => seen.length >= 2);
    expect(seen.map((m) => m.payload)).toEqual(['online', 'offline']);
    const presence = () => api<DevicePresence>(app.urls.http, 'GET', '/api/v1/devices/d1/status');
    await waitUntil(async () => (await presence()).body.status === 'offline');
    // A repeated status is not a change: two events, newest first.
    expect((await presence()).body.changes.map((c) => c.status)).toEqual(['offline', 'online']);
  });

  it('queues QoS 1 and 2 messages for an offline persistent session and delivers them on reconnect [MQTT-3.1.2-5]', async () => {
    const first = await asDevice({ clean: false });
    await first.subscribeAsync('parcours/devices/d1/commands/#', { qos: 2 });
    await first.endAsync();
    await app.broker.publish('parcours/devices/d1/commands/a', 'one', { qos: 1 });
    await app.broker.publish('parcours/devices/d1/commands/b', 'two', { qos: 2 });
    await app.broker.publish('parcours/devices/d1/commands/c', 'lost', { qos: 0 });

    const client = mqtt.connect(app.urls.mqtt, { clientId: 'd1', username: 'd1', password: secret, clean: false, reconnectPeriod: 0, protocolVersion: 4 });
    clients.push(client);
    const seen = inbox(client);
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve) => client.once('connect', resolve));
    expect(connack.sessionPresent).toBe(true);
    await waitUntil(() => seen.length >= 2);
    await settle(150); // the QoS 0 message must not follow
    expect(seen.map((m) => [m.topic, m.payload, m.qos])).toEqual([
      ['parcours/devices/d1/commands/a', 'one', 1],
      ['parcours/devices/d1/commands/b', 'two', 2],
    ]);
  });

  it('does not match $ topics with a leading wildcard [MQTT-4.7.2-1]', async () => {
    const operator = await asOperator();
    const seen = inbox(operator);
    await operator.subscribeAsync(['#', '+/broker/#'], { qos: 0 });
    await app.broker.publish('$SYS/broker/test', 'x', { qos: 0 });
    await app.broker.publish('parcours/subjects/s1/sessions', '{}', { qos: 0 });
    await waitUntil(() => seen.length >= 1); // after the $SYS message, had it been delivered
    expect(seen.map((m) => m.topic)).toEqual(['parcours/subjects/s1/sessions']);
  });
});

describe('a third-party client: mosquitto_pub and mosquitto_sub', () => {
  it('publishes QoS 1 telemetry that is stored, and receives it on a subscription', async () => {
    ensureInstalled('mosquitto_pub');
    const port = String(new URL(app.urls.mqtt).port);
    // -d prints the protocol exchange (line-buffered by stdbuf, as into a pipe it would wait for the exit):
    // the message is published once the SUBACK is in.
    const subscriber = spawn('stdbuf', [
      '-oL',
      'mosquitto_sub',
      '-d',
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-V',
      'mqttv311',
      '-i',
      'ops',
      '-u',
      'ops',
      '-P',
      adminKey(),
      '-t',
      'parcours/devices/d1/telemetry',
      '-C',
      '1',
      '-W',
      '120',
    ]);
    let output = '';
    subscriber.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => subscriber.once('close', resolve));
    await waitUntil(() => output.includes('received SUBACK'));
    const payload = JSON.stringify({ ts: Date.UTC(2026, 0, 1), seq: 1, metrics: { power_w: 3 } });
    await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-V',
      'mqttv311',
      '-i',
      'd1',
      '-u',
      'd1',
      '-P',
      secret,
      '-q',
      '1',
      '-t',
      'parcours/devices/d1/telemetry',
      '-m',
      payload,
    ]);
    expect(await exited).toBe(0);
    expect(output.split('\n')).toContain(payload);
    expect(app.gateway.log.count()).toBe(1);
  });

  it('gets a refusal for a denied subscription and for bad credentials', async () => {
    ensureInstalled('mosquitto_sub');
    const port = String(new URL(app.urls.mqtt).port);
    const denied = await run('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-V',
      'mqttv311',
      '-i',
      'd1',
      '-u',
      'd1',
      '-P',
      secret,
      '-t',
      '#',
      '-C',
      '1',
      '-W',
      '120',
      '-E',
    ]).then(
      (r) => r.stderr + r.stdout,
      (error: { stderr: string; stdout: string }) => error.stderr + error.stdout,
    );
    expect(denied).toMatch(/denied/i);
    const refused = await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-V',
      'mqttv311',
      '-u',
      'd1',
      '-P',
      'wrong',
      '-t',
      'parcours/devices/d1/telemetry',
      '-m',
      '{}',
    ]).then(
      () => 'accepted',
      (error: { stderr: string }) => error.stderr,
    );
    expect(refused).toMatch(/not authori[sz]ed|bad user ?name or password/i);
  });
});
