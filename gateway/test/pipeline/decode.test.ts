import { errorCodes } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/pipeline/decode.js';
import { type InboundMessage, Rejection } from '../../src/pipeline/message.js';

const options = { baseTopic: 'parcours', maxPayloadBytes: 256 };

function inbound(topic: string, payload: string | Buffer): InboundMessage {
  return { topic, payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload), receivedAt: 0, clientId: 'c', username: null };
}

describe('decode', () => {
  it('names the device and channel and parses a JSON payload, leaving the message as it was', () => {
    const message = inbound('parcours/devices/d1/telemetry', '{"ts":1,"seq":2}');
    expect(decode(message, options)).toEqual({ message, deviceId: 'd1', channel: 'telemetry', json: { ts: 1, seq: 2 } });
    expect(message).toEqual(inbound('parcours/devices/d1/telemetry', '{"ts":1,"seq":2}'));
  });

  it('keeps a status as plain text, which need not be JSON', () => {
    const message = inbound('parcours/devices/d1/status', 'offline');
    expect(decode(message, options)).toEqual({ message, deviceId: 'd1', channel: 'status', text: 'offline' });
  });

  it('accepts a payload of exactly the limit', () => {
    const payload = JSON.stringify({ pad: 'x'.repeat(options.maxPayloadBytes - 10) });
    expect(Buffer.byteLength(payload)).toBe(options.maxPayloadBytes);
    expect(decode(inbound('parcours/devices/d1/events', payload), options)).not.toBeInstanceOf(Rejection);
  });

  it.each([
    ['another base topic', 'other/devices/d1/telemetry'],
    ['an unknown channel', 'parcours/devices/d1/other'],
    ['a downstream channel', 'parcours/devices/d1/commands'],
    ['an empty device id', 'parcours/devices//telemetry'],
    ['a deeper topic', 'parcours/devices/d1/telemetry/x'],
  ])('rejects %s with no device named', (_, topic) => {
    const result = decode(inbound(topic, '{}'), options);
    expect(result).toMatchObject({ reason: errorCodes.badTopic, detail: `not a device topic: ${topic}`, deviceId: null, channel: null });
  });

  it.each([
    ['an oversize payload', 'x'.repeat(257), errorCodes.oversize, 'payload of 257 bytes exceeds the limit of 256'],
    ['bytes that are not UTF-8', Buffer.from([0xff, 0xfe]), errorCodes.badEncoding, 'payload is not valid UTF-8'],
    ['text that is not JSON', '{"ts":', errorCodes.badJson, /^payload is not JSON: /],
  ])('rejects %s, naming the device and channel', (_, payload, reason, detail) => {
    const result = decode(inbound('parcours/devices/d1/telemetry', payload), options);
    expect(result).toBeInstanceOf(Rejection);
    expect(result).toMatchObject({ reason, detail, deviceId: 'd1', channel: 'telemetry' });
  });

  it('rejects a status that is not UTF-8', () => {
    expect(decode(inbound('parcours/devices/d1/status', Buffer.from([0xc3])), options)).toMatchObject({ reason: errorCodes.badEncoding, channel: 'status' });
  });
});
