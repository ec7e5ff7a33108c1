import { errorCodes } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { checkSender } from '../../src/pipeline/check-sender.js';
import { Rejection, type InboundMessage } from '../../src/pipeline/message.js';
import { AttributionIndex } from '../../src/registry/attribution-index.js';

const index = new AttributionIndex({
  subjects: [],
  memberships: [],
  devices: [
    { id: 'tv', type: 'tv', model: null, name: null },
    { id: 'brush', type: 'toothbrush', model: null, name: null },
  ],
  assignments: [],
});

const from = (username: string | null): InboundMessage => ({ topic: 't', payload: Buffer.alloc(0), receivedAt: 0, clientId: 'c', username });
const onTv = { deviceId: 'tv', channel: 'events' as const };

describe('checkSender', () => {
  it('lets a device publish on its own topic', () => {
    expect(checkSender(from('tv'), onTv, index)).toBeNull();
  });

  it('lets an external client or an unregistered username publish for a device', () => {
    expect(checkSender(from(null), onTv, index)).toBeNull();
    expect(checkSender(from('bridge'), onTv, index)).toBeNull();
  });

  it('refuses a registered device publishing on the topic of another, naming both', () => {
    const result = checkSender(from('brush'), onTv, index);
    expect(result).toBeInstanceOf(Rejection);
    expect(result).toMatchObject({ reason: errorCodes.topicMismatch, detail: 'device brush published on the topic of tv', deviceId: 'tv', channel: 'events' });
  });

  it('refuses it whatever was wrong with the payload: the mismatch wins over the payload rejection', () => {
    const schemaError = new Rejection(errorCodes.schema, 'seq: expected number', 'tv', 'telemetry');
    expect(checkSender(from('brush'), schemaError, index)).toMatchObject({ reason: errorCodes.topicMismatch, channel: 'telemetry' });
  });

  it('has nothing to check on a topic that names no device', () => {
    expect(checkSender(from('brush'), new Rejection(errorCodes.badTopic, 'not a device topic', null, null), index)).toBeNull();
  });
});
