import type { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '@parcours/contracts';
import createLevelPersistence from 'aedes-persistence-level';
import createRedisPersistence from 'aedes-persistence-redis';
import { ClassicLevel } from 'classic-level';
import { Redis } from 'ioredis';
import createRedisEmitter from 'mqemitter-redis';
import type { Logger } from 'pino';

/**
 * Where aedes keeps its state (`persistence`: sessions, subscriptions, queued QoS 1/2 messages, retained
 * messages) and how it fans messages out (`mq`). Undefined means aedes' in-memory default.
 */
export interface BrokerBackends {
  persistence: unknown;
  mq: unknown;
  /** Releases what was opened; call it after the broker is closed, since closing its clients still writes. */
  close(): Promise<void>;
}

export interface BrokerBackendsOptions {
  config: Config['mqtt'];
  /** Parcours' data folder; the `level` state lives in its `broker/` subfolder. */
  dataDir: string;
  logger: Logger;
}

/** Opens the backends that `mqtt.persistence` names. */
export function openBrokerBackends(options: BrokerBackendsOptions): Promise<BrokerBackends> {
  const { config, dataDir, logger } = options;
  switch (config.persistence) {
    case 'memory':
      return Promise.resolve({ persistence: undefined, mq: undefined, close: () => Promise.resolve() });
    case 'level':
      return openLevel(join(dataDir, 'broker'), logger.child({ part: 'broker-level' }));
    case 'redis':
      return Promise.resolve(openRedis(config.redisUrl, logger.child({ part: 'broker-redis' })));
  }
}

async function openLevel(dir: string, log: Logger): Promise<BrokerBackends> {
  await mkdir(dir, { recursive: true });
  const db = new ClassicLevel<string, Buffer>(dir, { valueEncoding: 'buffer' });
  // Opened now, not on first use: a folder locked by another Parcours fails the start ("lock … already held").
  await db.open();
  const persistence = createLevelPersistence(db);
  // aedes pipes a SUBSCRIBE's retained-message scan with no error listener (lib/handlers/subscribe.js): a
  // scan still running when stop() closes the database would throw LEVEL_ITERATOR_NOT_OPEN as uncaught.
  const scan = persistence.createRetainedStreamCombi.bind(persistence);
  persistence.createRetainedStreamCombi = (patterns) => scan(patterns).on('error', (error: Error) => log.warn({ err: error }, 'retained messages not sent'));
  return { persistence, mq: undefined, close: () => persistence.destroy() };
}

/**
 * Cluster mode: every node shares both the persistence and the emitter. With a shared persistence but a
 * local emitter, a message reaches only the subscribers connected to the node it arrived on (aedes #531).
 */
function openRedis(url: string, log: Logger): BrokerBackends {
  const conn = new Redis(url);
  conn.on('error', (error: Error) => log.warn({ err: error }, 'Redis persistence connection error'));
  const persistence = createRedisPersistence({ conn });
  // As aedes' default emitter: `a/#` also matches `a` [MQTT-4.7.1-3].
  const mq = createRedisEmitter({ connectionString: url, matchEmptyLevels: true });
  // mqemitter-redis re-emits its connections' errors on `state`, an EventEmitter it does not type: unheard, they would throw.
  (mq as unknown as { state: EventEmitter }).state.on('error', (error: Error) => log.warn({ err: error }, 'Redis emitter connection error'));
  return {
    persistence,
    mq,
    close: async () => {
      await new Promise<void>((resolve) => mq.close(resolve)); // a no-op when aedes.close() already closed it
      // destroy() disconnects `conn` too, but throws before that when setup() never ran (a failed start).
      await persistence.destroy().finally(() => conn.disconnect());
    },
  };
}
