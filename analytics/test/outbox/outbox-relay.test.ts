import { migrate } from '@parcours/gateway';
import BetterSqlite3 from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { analyticsMigrations } from '../../src/migrations.js';
import { Outbox, OutboxRelay } from '../../src/outbox/outbox.js';

const hour = 3_600_000;
let relay: OutboxRelay | null = null;

function outbox(): Outbox {
  const db = new BetterSqlite3(':memory:');
  db.exec('CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  migrate(db, analyticsMigrations);
  return new Outbox(db);
}

/** A broker that takes messages in order, but those whose payload it is told to refuse. */
function broker() {
  const taken: string[] = [];
  const refused = new Set<string>();
  const publish = async (topic: string, payload: string) => {
    await Promise.resolve();
    if (refused.has(payload)) throw new Error('broker down');
    taken.push(`${topic} ${payload}`);
  };
  return { taken, refused, publish };
}

const messages = (...payloads: string[]) => payloads.map((payload) => ({ topic: 't', payload }));

afterEach(async () => {
  await relay?.stop();
  relay = null;
});

describe('OutboxRelay', () => {
  it('publishes in the order messages were queued, removing each once the broker took it', async () => {
    const box = outbox();
    const { taken, publish } = broker();
    box.add(messages('1', '2'));
    box.add(messages('3'));
    relay = new OutboxRelay(box, publish, pino({ level: 'silent' }), hour);
    relay.start();
    await relay.flush();
    expect(taken).toEqual(['t 1', 't 2', 't 3']);
    expect(box.count()).toBe(0);
  });

  it('is woken by a commit rather than its interval, and keeps what the broker did not take, in order, for the next run', async () => {
    const box = outbox();
    const { taken, refused, publish } = broker();
    relay = new OutboxRelay(box, publish, pino({ level: 'silent' }), hour);
    relay.start();
    await relay.flush();
    refused.add('2');
    box.add(messages('1', '2', '3'));
    relay.wake();
    await vi.waitFor(() => expect(relay!.status()).toEqual({ pending: 2, lastError: 'broker down' }));
    expect(taken).toEqual(['t 1']);
    refused.clear();
    box.add(messages('4'));
    relay.wake();
    await vi.waitFor(() => expect(taken).toEqual(['t 1', 't 2', 't 3', 't 4']));
    expect(relay.status()).toEqual({ pending: 0, lastError: null });
  });

  it('publishes nothing unless started: a batch command leaves the outbox to the server', async () => {
    const box = outbox();
    const { taken, publish } = broker();
    relay = new OutboxRelay(box, publish, pino({ level: 'silent' }), hour);
    box.add(messages('1'));
    relay.wake();
    await relay.flush();
    expect(taken).toEqual([]);
    expect(box.count()).toBe(1);
  });
});
