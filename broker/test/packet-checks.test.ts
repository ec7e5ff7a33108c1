import { Duplex } from 'node:stream';
import { Aedes } from 'aedes';
import { describe, expect, it } from 'vitest';
import { checkPackets, isSupportedProtocol, packetViolation, type ProtocolViolation, stringViolation } from '../src/packet-checks.js';

const bytes = (hex: string) => () => Buffer.from(hex, 'hex');

describe('stringViolation', () => {
  it('refuses ill-formed UTF-8, which mqtt-packet decodes to U+FFFD [MQTT-1.5.3-1]', () => {
    for (const hex of ['ff', 'c328', 'c080', 'eda080', 'f4908080', 'e282'])
      expect([hex, stringViolation(Buffer.from(hex, 'hex').toString(), bytes(hex))]).toEqual([hex, 'invalid_utf8']);
  });

  it('accepts a well-formed U+FFFD, and reads the bytes only for a U+FFFD', () => {
    expect(stringViolation('a\uFFFD', bytes('61efbfbd'))).toBeNull();
    expect(stringViolation('parcours/devices/d1/é', () => expect.unreachable())).toBeNull();
  });

  it('refuses U+0000 [MQTT-1.5.3-2]', () => {
    expect(stringViolation('a\0b', bytes('610062'))).toBe('null_character');
  });
});

describe('packetViolation', () => {
  const cases: [string, Parameters<typeof packetViolation>[0], ProtocolViolation | null][] = [
    ['QoS 1 PUBLISH with packet id 0', { cmd: 'publish', qos: 1, messageId: 0, topic: 'a' }, 'packet_id_zero'],
    ['QoS 2 PUBLISH with packet id 0', { cmd: 'publish', qos: 2, messageId: 0, topic: 'a' }, 'packet_id_zero'],
    ['QoS 0 PUBLISH (no packet id)', { cmd: 'publish', qos: 0, topic: 'a' }, null],
    ['QoS 1 PUBLISH with packet id 1', { cmd: 'publish', qos: 1, messageId: 1, topic: 'a/b' }, null],
    ['PUBLISH to a wildcard', { cmd: 'publish', qos: 0, topic: 'a/#' }, 'invalid_topic_name'],
    ['PUBLISH to an empty topic', { cmd: 'publish', qos: 0, topic: '' }, 'invalid_topic_name'],
    ['SUBSCRIBE with packet id 0', { cmd: 'subscribe', messageId: 0, subscriptions: [{ topic: 'a', qos: 0 }] }, 'packet_id_zero'],
    ['SUBSCRIBE without a filter', { cmd: 'subscribe', messageId: 1, subscriptions: [] }, 'empty_subscribe'],
    ['SUBSCRIBE', { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/+', qos: 1 }] }, null],
    ['UNSUBSCRIBE with packet id 0', { cmd: 'unsubscribe', messageId: 0, unsubscriptions: ['a'] }, 'packet_id_zero'],
    ['UNSUBSCRIBE without a filter', { cmd: 'unsubscribe', messageId: 1, unsubscriptions: [] }, 'empty_unsubscribe'],
    ['UNSUBSCRIBE', { cmd: 'unsubscribe', messageId: 1, unsubscriptions: ['a/#'] }, null],
    ['CONNECT without a will', { cmd: 'connect' }, null],
    ['CONNECT with a will of QoS 3', { cmd: 'connect', will: { topic: 'a', qos: 3 } }, 'will_qos'],
    ['CONNECT with a will to a wildcard', { cmd: 'connect', will: { topic: 'a/+/b', qos: 1 } }, 'invalid_topic_name'],
    ['CONNECT with a will to an empty topic', { cmd: 'connect', will: { topic: '', qos: 0 } }, 'invalid_topic_name'],
    ['CONNECT with a will', { cmd: 'connect', will: { topic: 'a/b', qos: 2 } }, null],
    ['PUBACK with packet id 0 (not the sender’s to choose)', { cmd: 'puback', messageId: 0 }, null],
  ];
  it.each(cases)('%s', (_, packet, expected) => expect(packetViolation(packet)).toBe(expected));
});

describe('isSupportedProtocol', () => {
  it('accepts MQTT 3.1.1 ("MQTT", 4) and MQTT 3.1 ("MQIsdp", 3) only [MQTT-3.1.2-1] [MQTT-3.1.2-2]', () => {
    const pairs = [
      ['MQTT', 4],
      ['MQIsdp', 3],
      ['MQTT', 3],
      ['MQIsdp', 4],
      ['MQTT', 5],
    ] as const;
    expect(pairs.map(([protocolId, protocolVersion]) => isSupportedProtocol({ protocolId, protocolVersion }))).toEqual([true, true, false, false, false]);
  });
});

describe('checkPackets', () => {
  /** An aedes client on an in-memory stream: bytes pushed in, what aedes writes collected. */
  async function checkedClient() {
    const aedes = await Aedes.createBroker();
    const written: Buffer[] = [];
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk);
        callback();
      },
    });
    const violations: ProtocolViolation[] = [];
    checkPackets(aedes.handle(stream as never, undefined as never), (violation) => violations.push(violation));
    const state = { closed: false };
    stream.once('close', () => (state.closed = true));
    return { aedes, stream, written, violations, state };
  }

  const patiently = { timeout: 30_000 }; // a busy machine only makes the answer come later
  const connect = (clientId: string) =>
    Buffer.concat([
      Buffer.from([0x10, 12 + clientId.length / 2, 0, 4]),
      Buffer.from('MQTT'),
      Buffer.from([4, 2, 0, 30, 0, clientId.length / 2]),
      Buffer.from(clientId, 'hex'),
    ]);

  it('passes a well-formed CONNECT on to aedes', async () => {
    const { aedes, stream, written, violations } = await checkedClient();
    stream.push(connect('6431'));
    await expect.poll(() => Buffer.concat(written), patiently).toEqual(Buffer.from([0x20, 2, 0, 0]));
    expect(violations).toEqual([]);
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
  });

  it('refuses a CONNECT whose client id is ill-formed UTF-8, before aedes sees it', async () => {
    const { aedes, stream, written, violations, state } = await checkedClient();
    stream.push(connect('64c080'));
    await expect.poll(() => state.closed || written.length > 0, patiently).toBe(true);
    expect(violations).toEqual(['invalid_utf8']);
    expect(written).toEqual([]);
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
  });

  it('fails fast on a client without the mqtt-packet parser it expects', () => {
    expect(() => checkPackets({ _parser: { _parseString() {} } }, () => undefined)).toThrow(/mqtt-packet parser/);
  });
});
