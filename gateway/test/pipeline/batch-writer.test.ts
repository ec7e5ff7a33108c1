import type { NewLogRecord } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { BatchWriter, maxBatchWrites } from '../../src/pipeline/batch-writer.js';

/** A writer on stores that keep nothing, recording each transaction's size and what ran in between. */
function writer() {
  const events: string[] = [];
  const db = {
    transaction: (body: () => unknown) => () => {
      const outcomes = body() as unknown[];
      events.push(`transaction of ${outcomes.length}`);
      return outcomes;
    },
  };
  const log = { append: (records: NewLogRecord[]) => records.map(() => true), notifyAppended: () => undefined };
  const quarantine = { append: () => 0, recount: () => undefined };
  const presence = { apply: () => undefined };
  return { events, writer: new BatchWriter(db as never, log as never, quarantine as never, presence as never, () => undefined, null) };
}

const record = (seq: number) => ({ kind: 'record', record: { deviceId: 'd1', seq } as NewLogRecord }) as const;

describe('BatchWriter', () => {
  it('commits the writes of one turn together, at most maxBatchWrites at a time, letting the event loop turn in between', async () => {
    const { events, writer: w } = writer();
    const count = 2 * maxBatchWrites + 7;
    const written = Promise.all(Array.from({ length: count }, (_, i) => w.write(record(i))));
    // Queued after the writes' flush: it runs before the rest is committed only if the writer yields.
    setImmediate(() => events.push('another callback'));
    expect(await written).toEqual(Array.from({ length: count }, () => 'stored'));
    expect(events).toEqual([`transaction of ${maxBatchWrites}`, 'another callback', `transaction of ${maxBatchWrites}`, 'transaction of 7']);
  });
});
