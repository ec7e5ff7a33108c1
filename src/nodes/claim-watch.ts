import { randomBytes } from 'node:crypto';
import { firstConnection } from '@parcours/broker';
import mqtt, { type IConnackPacket, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { z } from 'zod';
import { type LeaseClaim, parseClaim } from './lease-claim.js';

const probeSchema = z.object({ probe: z.string() });

export interface ClaimWatchOptions {
  url: string;
  username: string;
  password: string;
  topic: string;
  /**
   * Set on a connection that claims the lease: its session outlives a short disconnection, and its will
   * (an empty retained message on the topic, delayed as long) clears the claim if it does not come back.
   */
  claimant: { delaySeconds: number } | null;
  keepaliveSeconds: number;
  /** How long a probe's echo may take before the broker counts as unresponsive. */
  timeoutMs: number;
  logger: Logger;
}

export interface ClaimWatchListener {
  /** A claim or an emptying arrived (or a new session forgot them): `holder`, `retained` or both may have changed. */
  heard?(): void;
  offline?(): void;
  /** Connected again; `sessionPresent` is false when the broker had ended the session (and sent its will). */
  reconnected?(sessionPresent: boolean): void;
}

/**
 * One MQTT 5 connection subscribed to the ingest lease's claim topic, following who holds it. Every node
 * applies one rule to the topic's messages: the holder is the first claim after the topic was empty, and
 * an empty retained message (a release, or the will of a holder whose connection died) empties it; a claim
 * arriving while another holds is a rival that lost, yet it is what the broker now retains, until the
 * holder puts its own back. `barrier()` publishes a non-retained probe on the
 * topic, which leaves the retained claim alone (MQTT 5 §3.3.1.3), and waits for its echo: what the broker
 * had for this subscription before, the retained claim included, has then arrived.
 */
export class ClaimWatch {
  holder: LeaseClaim | null = null;
  /** The last claim heard, null after an emptying: what the broker retains, as far as this connection knows. */
  retained: LeaseClaim | null = null;
  /** Counts the holder's changes, so that a waiter knows whether it missed one. */
  version = 0;
  listener: ClaimWatchListener = {};
  private readonly probes = new Map<string, () => void>();

  private constructor(
    private readonly client: MqttClient,
    private readonly options: ClaimWatchOptions,
  ) {}

  /** Connects, subscribes and passes a barrier: `holder` then says who held the lease at subscription. */
  static async open(options: ClaimWatchOptions, clientId: string): Promise<ClaimWatch> {
    const { claimant } = options;
    const connectOptions: IClientOptions = {
      protocolVersion: 5,
      clientId,
      clean: claimant === null,
      keepalive: options.keepaliveSeconds,
      reconnectPeriod: 1000,
      // Subscribed by hand on each connection, so that a barrier can follow the SUBACK.
      resubscribe: false,
      properties: { sessionExpiryInterval: claimant?.delaySeconds ?? 0 },
      ...(claimant
        ? { will: { topic: options.topic, payload: Buffer.alloc(0), qos: 1, retain: true, properties: { willDelayInterval: claimant.delaySeconds } } }
        : {}),
      ...(options.username ? { username: options.username, password: options.password } : {}),
    };
    const client = mqtt.connect(options.url, connectOptions);
    const watch = new ClaimWatch(client, options);
    try {
      await firstConnection(client);
      watch.listen();
      await watch.subscribe();
    } catch (error) {
      // Connected: leave with DISCONNECT, so that a claimant's will does not clear another node's claim.
      await (client.connected ? watch.close() : client.endAsync(true));
      throw error;
    }
    return watch;
  }

  heldBy(claim: LeaseClaim): boolean {
    return this.holder?.token === claim.token;
  }

  /** Publishes a non-retained probe and waits for its echo. */
  barrier(): Promise<void> {
    const nonce = randomBytes(8).toString('hex');
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => settle(new Error(`no answer from ${this.options.url} within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      const closed = () => settle(new Error(`the connection to ${this.options.url} closed`));
      const settle = (error?: Error) => {
        clearTimeout(timer);
        this.probes.delete(nonce);
        this.client.off('close', closed);
        if (error) reject(error);
        else resolve();
      };
      this.probes.set(nonce, () => settle());
      this.client.once('close', closed);
      this.client.publishAsync(this.options.topic, JSON.stringify({ probe: nonce }), { qos: 1 }).catch((error: unknown) => settle(error as Error));
    });
  }

  /**
   * Waits until `condition` holds after a claim or an emptying arrives: true then, false once the probe
   * timeout passed or the connection closed first.
   */
  until(condition: () => boolean): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => settle(false), this.options.timeoutMs);
      const closed = () => settle(false);
      const settle = (held: boolean) => {
        clearTimeout(timer);
        this.client.off('close', closed);
        this.listener = {};
        resolve(held);
      };
      this.client.once('close', closed);
      this.listener = { heard: () => condition() && settle(true) };
    });
  }

  /** Publishes a claim, or with null empties the topic; retained, so that later subscribers see it. */
  async publish(claim: LeaseClaim | null): Promise<void> {
    await this.client.publishAsync(this.options.topic, claim ? JSON.stringify(claim) : Buffer.alloc(0), { qos: 1, retain: true });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /**
   * Leaves with a normal DISCONNECT, which drops the will, and ends the session. Disconnected, it just
   * stops reconnecting: a claimant's will then clears its claim once its delay has passed.
   */
  async close(): Promise<void> {
    if (this.client.connected) await this.client.endAsync(false, { reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
    else await this.client.endAsync(true);
  }

  /** Drops the connection without DISCONNECT: the will is published once its delay has passed. */
  abandon(): void {
    this.client.end(true);
  }

  private listen(): void {
    const { client, options } = this;
    client.on('message', (_topic, payload) => this.receive(payload));
    client.on('error', (error) => options.logger.warn({ err: error }, 'ingest lease: external broker connection error'));
    client.on('offline', () => this.listener.offline?.());
    client.on('connect', (connack: IConnackPacket) => {
      // Told first: a holder back without its session has lost the lease, whatever the topic says next.
      this.listener.reconnected?.(connack.sessionPresent);
      // A connection without a session starts over: the claim is known again once subscribed.
      if (!connack.sessionPresent) {
        this.heard(null);
        this.subscribe().catch((error: unknown) => options.logger.warn({ err: error }, 'ingest lease: could not subscribe again'));
      }
    });
  }

  private async subscribe(): Promise<void> {
    const granted = await this.client.subscribeAsync(this.options.topic, { qos: 1 });
    const code = granted[0]?.qos ?? 0x80;
    if (code >= 0x80) throw new Error(`${this.options.url} refused the subscription to ${this.options.topic} (reason ${code}): check the gateway's ACL`);
    await this.barrier();
  }

  private receive(payload: Buffer): void {
    if (payload.length === 0) {
      this.heard(null);
      return;
    }
    const text = payload.toString();
    const probe = probeSchema.safeParse(safeJson(text));
    if (probe.success) {
      this.probes.get(probe.data.probe)?.();
      return;
    }
    const claim = parseClaim(text);
    // Only the nodes may write here (the broker's ACL); anything else is no claim and changes nothing.
    if (!claim) {
      this.options.logger.warn({ topic: this.options.topic }, 'ignored a message on the ingest claim topic that is not a claim');
      return;
    }
    this.heard(claim);
  }

  /** A claim, or null for an emptying: it is retained now, and holds if the topic was empty. */
  private heard(claim: LeaseClaim | null): void {
    this.retained = claim;
    const holder = claim && (this.holder ?? claim);
    if (holder?.token !== this.holder?.token) {
      this.holder = holder;
      this.version++;
    }
    this.listener.heard?.();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
