import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogRecord } from '@parcours/contracts';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsumerOffsets } from '../../src/log/consumer-offsets.js';
import { EventLog } from '../../src/log/event-log.js';
import { telemetryRecord } from './telemetry-record.js';
import { LogConsumer, pageSize } from '../../src/log/log-consumer.js';
import { migrate, openDatabase, type Database } from '../../src/store/database.js';
import { gatewayMigrations } from '../../src/store/migrations.js';

let db: Database | null = null;
let consumer: LogConsumer | null = null;

afterEach(async () => {
  await consumer?.stop();
  db?.close();
  consumer = null;
  db = null;
});

const telemetry = (seq: number) => telemetryRecord(seq);

/** A promise and its resolver, to hold a batch or a task open until the test lets it go. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open: () => open(), opened };
}

describe('LogConsumer.exclusive', () => {
  it('runs a task between two batches: after the batch in progress, before the next', async () => {
    db = openDatabase(mkdtempSync(join(tmpdir(), 'parcours-consumer-')));
    migrate(db, gatewayMigrations);
    const log = new EventLog(db);
    const steps: string[] = [];
    const firstBatch = gate();
    const batchStarted = gate();
    consumer = new LogConsumer({
      name: 'test',
      log,
      offsets: new ConsumerOffsets(db),
      batchSize: 1,
      logger: pino({ level: 'silent' }),
      handle: async (records) => {
        steps.push(`batch ${records[0]!.seq}`);
        batchStarted.open();
        if (records[0]!.seq === 1) await firstBatch.opened;
      },
    });
    log.append([telemetry(1), telemetry(2)]);
    consumer.start();
    await batchStarted.opened;
    const task = consumer.exclusive(async () => {
      steps.push('task');
      return 'done';
    });
    firstBatch.open();
    expect(await task).toBe('done');
    await consumer.caughtUp();
    expect(steps).toEqual(['batch 1', 'task', 'batch 2']);
  });

  it('runs a task on a consumer that is not started', async () => {
    db = openDatabase(mkdtempSync(join(tmpdir(), 'parcours-consumer-')));
    migrate(db, gatewayMigrations);
    const log = new EventLog(db);
    const idle = new LogConsumer({
      name: 'test',
      log,
      offsets: new ConsumerOffsets(db),
      batchSize: 1,
      logger: pino({ level: 'silent' }),
      handle: async () => {},
    });
    expect(await idle.exclusive(async () => 42)).toBe(42);
  });
});

describe('LogConsumer', () => {
  it('reads a batch behind the log page by page, letting the event loop turn between pages', async () => {
    db = openDatabase(mkdtempSync(join(tmpdir(), 'parcours-consumer-')));
    migrate(db, gatewayMigrations);
    const log = new EventLog(db);
    const total = pageSize * 2 + 200;
    log.append(Array.from({ length: total }, (_, i) => telemetry(i + 1)));
    // What happened, in order: each read of the log, and each turn of the event loop.
    const events: string[] = [];
    const readAfter = log.readAfter.bind(log);
    log.readAfter = (offset, limit, withMetrics) => {
      events.push(`read ${limit}`);
      return readAfter(offset, limit, withMetrics);
    };
    let turning = true;
    const turn = () => {
      events.push('turn');
      if (turning) setImmediate(turn);
    };
    setImmediate(turn);
    const batches: LogRecord[][] = [];
    let handled!: () => void;
    const firstBatch = new Promise<void>((resolve) => (handled = resolve));
    consumer = new LogConsumer({
      name: 'test',
      log,
      offsets: new ConsumerOffsets(db),
      batchSize: 5_000,
      logger: pino({ level: 'silent' }),
      handle: async (records) => {
        batches.push(records);
        handled();
      },
    });
    consumer.start();
    await firstBatch;
    turning = false;
    expect(batches[0]!.map((r) => r.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const reads = events.flatMap((event, i) => (event.startsWith('read') ? [i] : []));
    expect(reads.slice(0, 3).map((i) => events[i])).toEqual([`read ${pageSize}`, `read ${pageSize}`, `read ${pageSize}`]);
    // Between two reads of the batch, the loop turned.
    expect(events.slice(reads[0], reads[1])).toContain('turn');
    expect(events.slice(reads[1], reads[2])).toContain('turn');
  });
});

describe('LogConsumer.lag', () => {
  it('is none once every record is handled, though a duplicate of the last one came after it', async () => {
    db = openDatabase(mkdtempSync(join(tmpdir(), 'parcours-consumer-')));
    migrate(db, gatewayMigrations);
    const log = new EventLog(db);
    const handled: number[] = [];
    consumer = new LogConsumer({
      name: 'test',
      log,
      offsets: new ConsumerOffsets(db),
      batchSize: 10,
      logger: pino({ level: 'silent' }),
      handle: async (records) => void handled.push(...records.map((r) => r.seq)),
    });
    consumer.start();
    log.append([telemetry(1), telemetry(2)]);
    log.notifyAppended();
    await consumer.caughtUp();
    // A redelivery: the log turns it away (nothing to notify).
    expect(log.append([telemetry(2)])).toEqual([false]);
    expect(handled).toEqual([1, 2]);
    expect(consumer.lag()).toBe(0);
  });
});
