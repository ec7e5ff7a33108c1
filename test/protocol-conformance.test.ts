import { PassThrough } from 'node:stream';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, scrapeMetrics, startApp, testConfig } from './helpers.js';
import { waitUntil } from './mqtt-clients.js';
import {
  connackAccepted,
  connectPacket,
  type ConnectFields,
  pingreq,
  pingresp,
  publishPacket,
  RawConnection,
  subscribePacket,
  unsubscribePacket,
} from './raw-mqtt.js';

/**
 * Packets that break MQTT 3.1.1 in ways mqtt-packet and aedes let through, written byte by byte on raw
 * sockets: each closes its connection (or gets CONNACK 0x01) and is counted by reason, while a well-formed
 * client of the same broker carries on. Also: a SUBSCRIBE of many denied filters is one log line.
 */
let app: ParcoursApp;
let secret: string;
let steady: MqttClient;
let steadyCloses = 0;
let logs = '';
let sessions = 0;

beforeAll(async () => {
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  app = await startApp(testConfig({ log: { level: 'warn' } }), stream);
  secret = (await api<{ credentials: { secret: string } }>(app.urls.http, 'POST', '/api/v1/devices', { id: 'd1', type: 'meter' })).body.credentials.secret;
  steady = await mqtt.connectAsync(app.urls.mqtt, { clientId: 'd1-steady', username: 'd1', password: secret, reconnectPeriod: 0 });
  steady.on('close', () => (steadyCloses += 1));
});

afterAll(async () => {
  await steady?.endAsync(true);
  await app?.stop();
});

/** A CONNECT of device d1 under a client id of its own. */
const asDevice = (fields: Partial<ConnectFields> = {}): Buffer =>
  connectPacket({ clientId: `d1-raw-${++sessions}`, username: 'd1', password: secret, ...fields });

/** The value of a counter of the TCP listener (0 before its first increment). */
async function counter(name: string, reason?: string): Promise<number> {
  const line = (await scrapeMetrics(app.urls.http))
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && l.includes('listener="tcp"') && (reason === undefined || l.includes(`reason="${reason}"`)));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

const protocolErrors = (reason: string) => counter('parcours_mqtt_protocol_errors_total', reason);

/** Logs in, then sends `packet` and a PINGREQ: a broker that goes on serving answers the PINGREQ (or `answer`). */
async function afterLogin(packet: Buffer, answer = pingresp): Promise<RawConnection> {
  const connection = new RawConnection(app.urls.mqtt);
  connection.write(asDevice());
  await connection.closedOrAnswered(connackAccepted);
  expect(connection.received).toEqual(connackAccepted);
  connection.write(packet, pingreq);
  await connection.closedOrAnswered(answer);
  connection.destroy();
  return connection;
}

/** Sends a CONNECT alone: a broker that accepts it answers CONNACK 0. */
async function connecting(packet: Buffer): Promise<RawConnection> {
  const connection = new RawConnection(app.urls.mqtt);
  connection.write(packet);
  await connection.closedOrAnswered(connackAccepted);
  connection.destroy();
  return connection;
}

const topic = (tail: Buffer | string) => Buffer.concat([Buffer.from('parcours/devices/d1/'), Buffer.from(tail)]);

describe('packets after the CONNECT', () => {
  it.each([
    ['a topic in ill-formed UTF-8 [MQTT-1.5.3-1]', publishPacket(topic(Buffer.from([0xc3, 0x28])), 0), 'invalid_utf8'],
    ['a topic with a UTF-16 surrogate encoded in UTF-8 [MQTT-1.5.3-1]', publishPacket(topic(Buffer.from([0xed, 0xa0, 0x80])), 1), 'invalid_utf8'],
    ['a topic filter in ill-formed UTF-8 [MQTT-1.5.3-1]', subscribePacket(1, [topic(Buffer.from([0xff]))]), 'invalid_utf8'],
    ['a topic with U+0000 [MQTT-1.5.3-2]', publishPacket(topic('a\0b'), 1), 'null_character'],
    ['a QoS 1 PUBLISH with packet id 0 [MQTT-2.3.1-1]', publishPacket(topic('echo'), 1, 0), 'packet_id_zero'],
    ['a QoS 2 PUBLISH with packet id 0 [MQTT-2.3.1-1]', publishPacket(topic('echo'), 2, 0), 'packet_id_zero'],
    ['a SUBSCRIBE with packet id 0 [MQTT-2.3.1-1]', subscribePacket(0, [topic('commands/#')]), 'packet_id_zero'],
    ['an UNSUBSCRIBE with packet id 0 [MQTT-2.3.1-1]', unsubscribePacket(0, [topic('commands/#')]), 'packet_id_zero'],
    ['a SUBSCRIBE without a topic filter [MQTT-3.8.3-3]', subscribePacket(1, []), 'empty_subscribe'],
    ['an UNSUBSCRIBE without a topic filter [MQTT-3.10.3-2]', unsubscribePacket(1, []), 'empty_unsubscribe'],
    ['a PUBLISH topic with a wildcard [MQTT-3.3.2-2]', publishPacket(topic('+'), 0), 'invalid_topic_name'],
  ])('closes the connection on %s, and counts it', async (_, packet, reason) => {
    const before = await protocolErrors(reason);
    const connection = await afterLogin(packet);
    expect(connection.closed).toBe(true);
    expect(connection.received).toEqual(connackAccepted); // nothing answered the packet, nor the PINGREQ
    expect(await protocolErrors(reason)).toBe(before + 1);
  });

  it('accepts a well-formed U+FFFD in a topic (only its ill-formed look-alikes are refused)', async () => {
    const puback = Buffer.from([0x40, 2, 0, 7]);
    const connection = await afterLogin(publishPacket(topic('\uFFFD'), 1, 7), puback);
    expect(connection.closed).toBe(false);
    expect(connection.received.includes(puback)).toBe(true);
  });
});

describe('a CONNECT', () => {
  it.each([
    ['a client id in ill-formed UTF-8 [MQTT-1.5.3-1]', { clientId: Buffer.from([0x64, 0x31, 0xc0, 0x80]) }, 'invalid_utf8'],
    ['a client id with U+0000 [MQTT-1.5.3-2]', { clientId: 'd1\0' }, 'null_character'],
    ['a will of QoS 3 [MQTT-3.1.2-14]', { will: { topic: 'parcours/devices/d1/status', qos: 3 } }, 'will_qos'],
    ['a will topic with a wildcard [MQTT-3.3.2-2]', { will: { topic: 'parcours/devices/d1/#', qos: 1 } }, 'invalid_topic_name'],
  ])('with %s closes the connection without a CONNACK, and is counted', async (_, fields, reason) => {
    const before = await protocolErrors(reason);
    const connection = await connecting(asDevice(fields));
    expect(connection.closed).toBe(true);
    expect(connection.received).toEqual(Buffer.alloc(0));
    expect(await protocolErrors(reason)).toBe(before + 1);
  });

  it.each([
    ['"MQTT" at level 3', { name: 'MQTT', level: 3 }],
    ['"MQIsdp" at level 4', { name: 'MQIsdp', level: 4 }],
  ])('as %s gets CONNACK 0x01, is closed and counted [MQTT-3.1.2-1] [MQTT-3.1.2-2]', async (_, protocol) => {
    const before = await protocolErrors('unsupported_protocol');
    const connection = await connecting(asDevice({ protocol }));
    expect(connection.closed).toBe(true);
    expect(connection.received).toEqual(Buffer.from([0x20, 2, 0, 1]));
    expect(await protocolErrors('unsupported_protocol')).toBe(before + 1);
  });

  it('as "MQIsdp" at level 3 (MQTT 3.1) is accepted', async () => {
    const connection = await connecting(asDevice({ protocol: { name: 'MQIsdp', level: 3 } }));
    expect(connection.closed).toBe(false);
    expect(connection.received).toEqual(connackAccepted);
  });
});

describe('a SUBSCRIBE of 10,000 filters outside the ACL', () => {
  it('gets 10,000 refusals, all counted, and one log line', async () => {
    const before = await counter('parcours_mqtt_denied_subscribes_total');
    const start = logs.length;
    const denialLines = () =>
      logs
        .slice(start)
        .split('\n')
        .filter((line) => line.includes('SUBACK 0x80'));
    const connection = new RawConnection(app.urls.mqtt);
    connection.write(asDevice());
    await connection.closedOrAnswered(connackAccepted);
    const filters = Array.from({ length: 10_000 }, (_, i) => `parcours/devices/other-${i}/telemetry`);
    connection.write(subscribePacket(1, filters));
    // CONNACK, then SUBACK: its header (3 bytes: the remaining length takes two), packet id, one code per filter.
    const suback = 4 + 3 + 2 + 10_000;
    await waitUntil(() => connection.closed || connection.received.length >= suback);
    connection.destroy();
    expect([...connection.received.subarray(9)]).toEqual(filters.map(() => 0x80));
    expect(await counter('parcours_mqtt_denied_subscribes_total')).toBe(before + 10_000);
    // Once the log has told of every refusal (a line tells of `denied` of them, or of one):
    const told = () => denialLines().reduce((sum, line) => sum + ((JSON.parse(line) as { denied?: number }).denied ?? 1), 0);
    await waitUntil(() => told() >= 10_000);
    expect(denialLines()).toHaveLength(1);
  });
});

describe('a well-formed client of the same broker', () => {
  it('stayed connected and is served', async () => {
    const echoed = new Promise<string>((resolve) => steady.once('message', (_, payload) => resolve(payload.toString())));
    await steady.subscribeAsync('parcours/devices/d1/echo', { qos: 1 });
    await steady.publishAsync('parcours/devices/d1/echo', 'still here', { qos: 1 });
    expect(await echoed).toBe('still here');
    expect([steady.connected, steadyCloses]).toEqual([true, 0]);
  });
});
