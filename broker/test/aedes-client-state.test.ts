import { PassThrough } from 'node:stream';
import { Aedes } from 'aedes';
import { describe, expect, it } from 'vitest';
import { connackSent, expectClientState, willTopic } from '../src/aedes-client-state.js';

describe('aedes client state', () => {
  it('finds the private fields it reads on a client of the installed aedes', async () => {
    const aedes = await Aedes.createBroker();
    try {
      const client = aedes.handle(new PassThrough() as never, undefined as never);
      expect(() => expectClientState(client)).not.toThrow();
      expect([willTopic(client), connackSent(client)]).toEqual([null, false]);
    } finally {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    }
  });

  it('fails fast on a client without them, instead of skipping the will check', () => {
    expect(() => expectClientState({ will: null, connackSent: false })).toThrow(/_will/);
    expect(() => expectClientState({ _will: null })).toThrow(/connackSent/);
  });
});
