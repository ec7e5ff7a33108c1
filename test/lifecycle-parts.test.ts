import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PartStartError, startInOrder, stopInReverse, type NamedPart } from '../src/lifecycle/parts.js';

const logger = pino({ level: 'silent' });

/** Parts that record what was done to them, in one shared journal; `failOn` makes that step throw. */
function recordingParts(names: string[], failOn: { start?: string; stop?: string } = {}): { parts: NamedPart[]; journal: string[] } {
  const journal: string[] = [];
  const parts = names.map((name) => ({
    name,
    part: {
      start: async () => {
        journal.push(`start ${name}`);
        if (failOn.start === name) throw new Error(`${name} refused`);
      },
      stop: async () => {
        journal.push(`stop ${name}`);
        if (failOn.stop === name) throw new Error(`${name} stuck`);
      },
    },
  }));
  return { parts, journal };
}

describe('parts started in order, stopped in reverse', () => {
  it('starts every part in order and stops them in reverse', async () => {
    const { parts, journal } = recordingParts(['store', 'broker', 'http']);
    await startInOrder(parts, logger);
    await stopInReverse(parts, logger);
    expect(journal).toEqual(['start store', 'start broker', 'start http', 'stop http', 'stop broker', 'stop store']);
  });

  it('on a failed start, stops the failed part and those started before it, in reverse, and names the part', async () => {
    const { parts, journal } = recordingParts(['store', 'broker', 'analytics', 'http'], { start: 'analytics' });
    const failure = await startInOrder(parts, logger).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PartStartError);
    expect(failure).toMatchObject({ partName: 'analytics', message: 'analytics did not start: analytics refused' });
    expect(journal).toEqual(['start store', 'start broker', 'start analytics', 'stop analytics', 'stop broker', 'stop store']);
  });

  it('reports the start failure even when a part also fails to stop during the rollback', async () => {
    const { parts, journal } = recordingParts(['store', 'broker', 'http'], { start: 'http', stop: 'broker' });
    await expect(startInOrder(parts, logger)).rejects.toMatchObject({ partName: 'http' });
    expect(journal).toEqual(['start store', 'start broker', 'start http', 'stop http', 'stop broker', 'stop store']);
  });

  it('stops every part even when one fails to stop, then reports it', async () => {
    const { parts, journal } = recordingParts(['store', 'broker', 'http'], { stop: 'broker' });
    await startInOrder(parts, logger);
    await expect(stopInReverse(parts, logger)).rejects.toBeInstanceOf(AggregateError);
    expect(journal.slice(3)).toEqual(['stop http', 'stop broker', 'stop store']);
  });
});
