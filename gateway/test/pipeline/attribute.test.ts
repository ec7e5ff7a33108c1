import { errorCodes } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { attribute } from '../../src/pipeline/attribute.js';
import type { Timed } from '../../src/pipeline/message.js';
import { AttributionIndex } from '../../src/registry/attribution-index.js';

const t0 = Date.UTC(2026, 0, 1);
const day = 86_400_000;

const index = new AttributionIndex({
  subjects: [
    { id: 'ana', kind: 'individual', type: 'person', name: 'Ana', attributes: {} },
    { id: 'home', kind: 'collective', type: 'household', name: 'Home', attributes: {} },
  ],
  memberships: [{ id: 'm1', individualId: 'ana', collectiveId: 'home', role: null, validFrom: t0, validTo: null }],
  devices: [
    { id: 'tv', type: 'tv', model: null, name: null },
    { id: 'brush', type: 'toothbrush', model: null, name: null },
  ],
  assignments: [
    { id: 'a1', deviceId: 'tv', subjectId: 'home', validFrom: t0 + day, validTo: null },
    { id: 'a2', deviceId: 'brush', subjectId: 'ana', validFrom: t0, validTo: null },
  ],
});

function event(deviceId: string, at: number, options: { actor?: string; username?: string } = {}): Timed {
  const payload = { ts: at, seq: 1, type: 'usage.start', ...(options.actor === undefined ? {} : { actor: options.actor }) };
  return {
    message: { topic: 't', payload: Buffer.alloc(0), receivedAt: t0 + 10 * day, clientId: 'c', username: options.username ?? null },
    deviceId,
    body: { channel: 'events', payload },
    at,
    deviceTs: null,
    late: false,
  };
}

describe('attribute', () => {
  it('attributes to the subject the device was assigned to at the time the message is filed under', () => {
    const timed = event('tv', t0 + 2 * day, { actor: 'ana', username: 'tv' });
    expect(attribute(timed, index)).toEqual({
      ...timed,
      attribution: { deviceType: 'tv', subjectId: 'home', subjectKind: 'collective', subjectType: 'household', actor: 'ana', actorRejected: false },
    });
    expect(attribute(event('tv', t0), index)).toMatchObject({ attribution: { subjectId: null } });
  });

  it('keeps a message whose actor does not hold, with the actor rejected', () => {
    expect(attribute(event('brush', t0 + day, { actor: 'ben' }), index)).toMatchObject({ attribution: { subjectId: 'ana', actor: null, actorRejected: true } });
  });

  it('attributes a status at its receipt', () => {
    const status: Timed = { ...event('tv', t0 + 10 * day), body: { channel: 'status', payload: 'offline' } };
    expect(attribute(status, index)).toMatchObject({ attribution: { deviceType: 'tv', subjectId: 'home', actor: null, actorRejected: false } });
  });

  it('rejects a device that is not registered', () => {
    expect(attribute(event('radio', t0), index)).toMatchObject({
      reason: errorCodes.unknownDevice,
      detail: 'device radio is not registered',
      deviceId: 'radio',
      channel: 'events',
    });
  });
});
