import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { externalClientId } from '@parcours/broker';
import { type Config, errorCodes, ingestLeaseTopic, ParcoursError } from '@parcours/contracts';
import type { Logger } from 'pino';
import type { LeaseBackend } from './lease-backend.js';
import { describeHolder, type LeaseClaim } from './lease-claim.js';
import { MqttLease } from './mqtt-lease.js';
import { nodeName, processRuns, readStoreId } from './node-identity.js';
import { RedisLease } from './redis-lease.js';

export interface IngestLeaseOptions {
  config: Readonly<Config>;
  logger: Logger;
  /** Called once if the lease is lost while held (with why): the app must stop ingesting and deriving. */
  onLost: (reason: string) => void;
}

/**
 * Only one node at a time may ingest and derive: each node keeps its own log, and sessions derived from
 * part of a device's messages are wrong. This part takes the ingest lease before anything else starts,
 * from what the nodes share (docs/several-nodes.md). A second node is refused with
 * `PARCOURS_E_ANOTHER_NODE`; a standby (`node.standby`) waits, neither listening nor ingesting, until the
 * lease is free, and only if it derives from the same store (the holder's data folder).
 */
export class IngestLease {
  private readonly backend: LeaseBackend;
  private readonly nodeId: string;
  private readonly log: Logger;
  private abort = new AbortController();
  private token: string | null = null;

  constructor(private readonly options: IngestLeaseOptions) {
    const { config, logger } = options;
    this.log = logger.child({ part: 'ingest-lease' });
    this.nodeId = nodeName(config.node.id);
    const ttlMs = config.node.leaseTtl;
    this.backend =
      config.mqtt.mode === 'external'
        ? new MqttLease({
            url: config.mqtt.externalUrl,
            username: config.mqtt.externalUsername,
            password: config.mqtt.externalPassword,
            topic: ingestLeaseTopic(config.mqtt.baseTopic, config.mqtt.sharedGroup),
            ttlMs,
            logger: this.log,
          })
        : new RedisLease({ url: config.mqtt.redisUrl, key: `parcours:${config.mqtt.baseTopic}:ingest-lease`, ttlMs, logger: this.log });
  }

  /** Whether `config` lets a second node share this one's log, hence needs the lease: a cluster or external mode. */
  static needed(config: Readonly<Config>): boolean {
    return config.mqtt.mode === 'external' || config.mqtt.persistence === 'redis';
  }

  /** Takes the lease, waiting for it as a standby; refuses with `PARCOURS_E_ANOTHER_NODE` otherwise. */
  async start(): Promise<void> {
    const { config } = this.options;
    this.abort = new AbortController();
    const own: LeaseClaim = {
      nodeId: this.nodeId,
      host: hostname(),
      pid: process.pid,
      storeId: await readStoreId(config.data.dir),
      since: '',
      token: randomUUID(),
      ...(config.mqtt.mode === 'external' ? { session: await externalClientId(config.mqtt, config.data.dir) } : {}),
    };
    await this.backend.open();
    try {
      let waitingFor = null as { token: string; since: number; told: boolean } | null;
      for (;;) {
        const holder = await this.backend.acquire({ ...own, since: new Date().toISOString() });
        if (!holder) break;
        if (holder.token !== waitingFor?.token) waitingFor = { token: holder.token, since: Date.now(), told: false };
        this.refuseUnlessWaiting(holder, own, Date.now() - waitingFor.since);
        if (!waitingFor.told) this.log.info({ holder, lease: this.backend.where }, this.waitReason(holder, own));
        waitingFor.told = true;
        await this.backend.changed(this.abort.signal);
      }
      // stop() ran while the lease was being taken: it closed the backend before it held anything.
      this.abort.signal.throwIfAborted();
    } catch (error) {
      await this.backend.close();
      throw error;
    }
    heldHere.add(own.token);
    this.token = own.token;
    this.backend.keep((reason) => {
      this.log.error({ lease: this.backend.where }, `lost the ingest lease: ${reason}; this node stops ingesting`);
      this.options.onLost(reason);
    });
    this.log.info({ nodeId: own.nodeId, storeId: own.storeId, lease: this.backend.where }, 'this node holds the ingest lease');
  }

  /** Releases the lease (or stops waiting for it: `start()` then rejects). */
  async stop(): Promise<void> {
    this.abort.abort(new Error('stopped while waiting for the ingest lease'));
    await this.backend.close();
    if (this.token) heldHere.delete(this.token);
    this.token = null;
  }

  private waitReason(holder: LeaseClaim, own: LeaseClaim): string {
    if (previousRun(holder, own)) return 'the previous run of this node still holds the ingest lease: waiting for it to expire';
    return `another node (${describeHolder(holder)}) holds the ingest lease: waiting as a standby until it stops`;
  }

  /** Throws the one-line refusal, unless this node may wait: a standby of the same store and session, or a restart after a crash. */
  private refuseUnlessWaiting(holder: LeaseClaim, own: LeaseClaim, waitedMs: number): void {
    const { config } = this.options;
    const where = this.backend.where;
    const who = describeHolder(holder);
    const sameStore = holder.storeId === own.storeId;
    // A crashed run's lease expires within one TTL (Redis) or one TTL after the broker notices (the will).
    if (previousRun(holder, own) && waitedMs < 2 * config.node.leaseTtl) return;
    if (!config.node.standby) {
      throw new ParcoursError(
        errorCodes.anotherNode,
        `another Parcours node (${who}) already ingests through ${where}; a second node would derive sessions from a partial log. Run a single node, or start this one as a standby (PARCOURS_NODE_STANDBY=true) on ${sameStore ? 'the same' : 'its'} data folder.`,
      );
    }
    if (!sameStore) {
      throw new ParcoursError(
        errorCodes.anotherNode,
        `the Parcours node this standby would take over from (${who}, through ${where}) keeps its log in another data folder (store ${holder.storeId}, this one ${own.storeId}); taking over would derive from a partial log. Start the standby on that node's data folder (shared storage), or run a single node.`,
      );
    }
    if (holder.session !== undefined && holder.session !== own.session) {
      throw new ParcoursError(
        errorCodes.anotherNode,
        `the Parcours node this standby would take over from (${who}) has the external broker session ${holder.session}, this one ${own.session}; the other session would keep its share of the device messages. Leave mqtt.externalClientId empty on both (the id is kept in the shared data folder), or set the same.`,
      );
    }
  }
}

/** The tokens of the leases this process holds (tests run several nodes in one process). */
const heldHere = new Set<string>();

/**
 * A claim by an earlier run of this node that did not release it (a crash): same host and store, and its
 * process is gone, or had this pid (a restarted container) without being held here. Such a node waits for
 * the claim to expire.
 */
function previousRun(holder: LeaseClaim, own: LeaseClaim): boolean {
  if (holder.host !== own.host || holder.storeId !== own.storeId || heldHere.has(holder.token)) return false;
  return holder.pid === own.pid || !processRuns(holder.pid);
}
