import { describe, expect, it } from 'vitest';
import { SubscriptionDenials } from '../src/subscription-denials.js';
import { recordingParts } from './recording-parts.js';

describe('SubscriptionDenials', () => {
  it('logs the refusals of one tick as one line per client: how many, and the first few', async () => {
    const { log, logged } = recordingParts();
    const denials = new SubscriptionDenials(log, 2);
    const [a, b] = [{}, {}];
    for (let i = 0; i < 1_000; i++) denials.add(a, { clientId: 'a' }, { filter: `x/${i}`, reason: 'no' });
    denials.add(b, { clientId: 'b' }, { filter: 'y', reason: 'no' });
    expect(logged).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(logged.map(({ clientId, denied, filters }) => ({ clientId, denied, filters }))).toEqual([
      {
        clientId: 'a',
        denied: 1_000,
        filters: [
          { filter: 'x/0', reason: 'no' },
          { filter: 'x/1', reason: 'no' },
        ],
      },
      { clientId: 'b', denied: 1, filters: [{ filter: 'y', reason: 'no' }] },
    ]);
  });

  it('starts a new line for the refusals of a later tick', async () => {
    const { log, logged } = recordingParts();
    const denials = new SubscriptionDenials(log);
    const client = {};
    denials.add(client, { clientId: 'a' }, { filter: 'x', reason: 'no' });
    await new Promise((resolve) => setImmediate(resolve));
    denials.add(client, { clientId: 'a' }, { filter: 'y', reason: 'no' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(logged.map((line) => line.denied)).toEqual([1, 1]);
  });
});
