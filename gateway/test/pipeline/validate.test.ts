import { errorCodes } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { type Decoded, type InboundMessage, Rejection } from '../../src/pipeline/message.js';
import { validate } from '../../src/pipeline/validate.js';

const message: InboundMessage = { topic: 't', payload: Buffer.alloc(0), receivedAt: 0, clientId: 'c', username: null };

const json = (channel: 'telemetry' | 'events', value: unknown): Decoded => ({ message, deviceId: 'd1', channel, json: value });

describe('validate', () => {
  it('accepts telemetry with an ISO timestamp and turns it into ms', () => {
    const payload = { ts: '2026-01-05T08:00:00+01:00', seq: 3, metrics: { power_w: 12.5, on: true } };
    expect(validate(json('telemetry', payload))).toEqual({
      message,
      deviceId: 'd1',
      body: { channel: 'telemetry', payload: { ts: Date.UTC(2026, 0, 5, 7), seq: 3, metrics: { power_w: 12.5, on: true } } },
    });
  });

  it('accepts an event with a namespaced type, an actor and attributes', () => {
    const payload = { ts: 1, seq: 1, type: 'door.opened', actor: 'ana', attrs: { side: 'left' } };
    expect(validate(json('events', payload))).toEqual({ message, deviceId: 'd1', body: { channel: 'events', payload } });
  });

  it('refuses an attribute named __proto__, which a plain object would silently drop, naming it', () => {
    const payload = JSON.parse('{"ts":1,"seq":1,"type":"door.opened","attrs":{"side":"left","__proto__":{"admin":true}}}');
    const result = validate(json('events', payload));
    expect(result).toBeInstanceOf(Rejection);
    expect(result).toMatchObject({ reason: errorCodes.schema });
    expect((result as Rejection).detail).toContain('attrs.__proto__');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('accepts a status, around which a device may have put white space', () => {
    expect(validate({ message, deviceId: 'd1', channel: 'status', text: 'online\n' })).toEqual({
      message,
      deviceId: 'd1',
      body: { channel: 'status', payload: 'online' },
    });
  });

  it.each([
    ['a negative seq', json('telemetry', { ts: 1, seq: -1, metrics: { power_w: 1 } })],
    ['no metrics', json('telemetry', { ts: 1, seq: 1, metrics: {} })],
    ['an unknown field', json('telemetry', { ts: 1, seq: 1, metrics: { p: 1 }, extra: 1 })],
    ['a telemetry payload on the events channel', json('events', { ts: 1, seq: 1, metrics: { p: 1 } })],
    ['an event type that is not namespaced', json('events', { ts: 1, seq: 1, type: 'Usage Start' })],
    ['a JSON value that is not an object', json('events', 42)],
  ])('rejects %s as against the schema', (_, decoded) => {
    const result = validate(decoded);
    expect(result).toBeInstanceOf(Rejection);
    expect(result).toMatchObject({ reason: errorCodes.schema, deviceId: 'd1', channel: decoded.channel });
  });

  it('rejects a status other than online or offline', () => {
    expect(validate({ message, deviceId: 'd1', channel: 'status', text: 'maybe' })).toMatchObject({
      reason: errorCodes.schema,
      detail: 'status must be "online" or "offline"',
      deviceId: 'd1',
      channel: 'status',
    });
  });

  it('names every failing path in the detail', () => {
    const result = validate(json('telemetry', { ts: 'yesterday', seq: 'x', metrics: { power_w: 'high' } }));
    expect(result).toBeInstanceOf(Rejection);
    expect((result as Rejection).detail).toMatch(/ts: .*seq: .*metrics\.power_w: /);
  });
});
