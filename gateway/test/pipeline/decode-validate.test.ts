import { errorCodes } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/pipeline/decode.js';
import type { Draft } from '../../src/pipeline/draft.js';
import { validate } from '../../src/pipeline/validate.js';

const options = { baseTopic: 'parcours', maxPayloadBytes: 256 };

function run(topic: string, payload: string | Buffer): { draft: Draft; rejection: ReturnType<typeof decode> } {
  const draft: Draft = { message: { topic, payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload), receivedAt: 0, clientId: 'c', username: null } };
  const rejection = decode(draft, options) ?? validate(draft);
  return { draft, rejection };
}

describe('decode and validate', () => {
  it('accepts telemetry with an ISO timestamp and decodes it to ms', () => {
    const { draft, rejection } = run(
      'parcours/devices/d1/telemetry',
      JSON.stringify({ ts: '2026-01-05T08:00:00+01:00', seq: 3, metrics: { power_w: 12.5, on: true } }),
    );
    expect(rejection).toBeUndefined();
    expect(draft.body).toEqual({ channel: 'telemetry', payload: { ts: Date.UTC(2026, 0, 5, 7), seq: 3, metrics: { power_w: 12.5, on: true } } });
  });

  it('accepts a namespaced event type and a status in plain text', () => {
    expect(run('parcours/devices/d1/events', JSON.stringify({ ts: 1, seq: 1, type: 'door.opened', actor: 'ana' })).rejection).toBeUndefined();
    expect(run('parcours/devices/d1/status', 'offline').draft.body).toEqual({ channel: 'status', payload: 'offline' });
  });

  it.each([
    ['parcours/devices/d1/telemetry', '{"ts":', errorCodes.badJson],
    ['parcours/devices/d1/telemetry', Buffer.from([0xff, 0xfe]), errorCodes.badEncoding],
    ['parcours/devices/d1/telemetry', 'x'.repeat(300), errorCodes.oversize],
    ['parcours/devices/d1/other', '{}', errorCodes.badTopic],
    ['parcours/devices/d1/telemetry', JSON.stringify({ ts: 1, seq: -1, metrics: { power_w: 1 } }), errorCodes.schema],
    ['parcours/devices/d1/telemetry', JSON.stringify({ ts: 1, seq: 1, metrics: {} }), errorCodes.schema],
    ['parcours/devices/d1/telemetry', JSON.stringify({ ts: 1, seq: 1, metrics: { p: 1 }, extra: 1 }), errorCodes.schema],
    ['parcours/devices/d1/events', JSON.stringify({ ts: 1, seq: 1, type: 'Usage Start' }), errorCodes.schema],
    ['parcours/devices/d1/status', 'maybe', errorCodes.schema],
  ])('rejects %s %s with %s', (topic, payload, reason) => {
    expect(run(topic, payload).rejection?.reason).toBe(reason);
  });

  it('names every failing path in the detail', () => {
    const { rejection } = run('parcours/devices/d1/telemetry', JSON.stringify({ ts: 'yesterday', seq: 'x', metrics: { power_w: 'high' } }));
    expect(rejection?.detail).toMatch(/ts: .*seq: .*metrics\.power_w: /);
  });
});
