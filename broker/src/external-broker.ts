import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sharedDeviceSubscriptions, type Config } from '@parcours/contracts';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { BrokerHooks } from './broker-hooks.js';

export interface ExternalBrokerOptions {
  config: Config['mqtt'];
  /** The node's data folder, where the client id generated on its first start is kept. */
  dataDir: string;
  logger: Logger;
  hooks: Pick<BrokerHooks, 'ingest'>;
}

/** PUBLISH packets the broker may have in flight to one instance (MQTT 5 §3.1.2.11.3, Receive Maximum). */
const receiveMaximum = 100;
const clientIdFile = 'mqtt-client-id';

/**
 * The gateway as an MQTT 5 client of an external broker, in place of the embedded one. It takes the
 * device messages through `$share/{group}/…` subscriptions on a persistent session (one node of a group
 * ingests at a time: docs/several-nodes.md), and a message is acknowledged only once `ingest` has stored
 * it: MQTT.js' `customHandleAcks` runs before the PUBACK.
 * Devices authenticate on the external broker, so the device id is the topic's; its ACLs must keep each
 * device under its own topics.
 */
export class ExternalBroker {
  private client: MqttClient | null = null;
  private stopping = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly log: Logger;

  constructor(private readonly options: ExternalBrokerOptions) {
    this.log = options.logger.child({ part: 'external-broker' });
  }

  /** The external broker's port while connected, 0 otherwise (the health check reads it). */
  get port(): number {
    return this.client?.connected ? (this.client.options.port ?? 0) : 0;
  }

  /** This instance's own connection (devices connect to the external broker, which counts them). */
  get connectedClients(): number {
    return this.client?.connected ? 1 : 0;
  }

  async start(): Promise<void> {
    const { config, dataDir } = this.options;
    this.stopping = false;
    const clientId = await externalClientId(config, dataDir);
    const client = mqtt.connect(config.externalUrl, {
      protocolVersion: 5,
      clientId,
      // A persistent session: the broker queues this instance's share while it restarts (MQTT 5 §3.1.2.4).
      clean: false,
      properties: { sessionExpiryInterval: Math.round(config.externalSessionExpiry / 1000), receiveMaximum },
      ...(config.externalUsername ? { username: config.externalUsername, password: config.externalPassword } : {}),
      reconnectPeriod: 1000,
      customHandleAcks: (topic, payload, _packet, ack) => this.onPublish(topic, payload, ack),
    });
    this.client = client;
    client.on('error', (error) => this.log.warn({ err: error }, 'external broker connection error'));
    client.on('offline', () => this.log.warn('disconnected from the external broker; reconnecting'));
    client.on('message', (topic, payload, packet) => {
      // QoS 1 and 2 messages went through onPublish before this event; QoS 0 ones have nothing to wait for.
      if (packet.qos === 0 && !this.stopping)
        this.track(this.ingest(topic, payload)).catch((error: unknown) => this.log.error({ err: error, topic }, 'could not ingest a QoS 0 message'));
    });
    try {
      await firstConnection(client);
      await client.subscribeAsync(sharedDeviceSubscriptions(config.baseTopic, config.sharedGroup), { qos: 1 });
    } catch (error) {
      this.client = null;
      await client.endAsync(true);
      throw error;
    }
    this.log.info({ url: config.externalUrl, clientId, group: config.sharedGroup }, 'connected to the external MQTT broker');
  }

  /** Finishes the messages being stored (so they are acknowledged), then leaves; the session stays. */
  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.stopping = true;
    await Promise.allSettled([...this.inFlight]);
    // Messages still arriving until the DISCONNECT are stored and acknowledged too: one left without its
    // PUBACK would hold MQTT.js' incoming queue (one packet at a time), so the socket would never end, nor
    // would end(). One stored but not acknowledged in time comes back with the session, a duplicate.
    await client.endAsync();
    await Promise.allSettled([...this.inFlight]);
    this.client = null;
  }

  /** Publishes as the platform (derived sessions, quarantine) on the external broker. */
  async publish(topic: string, payload: string | Buffer, options: { qos: 0 | 1 | 2; retain?: boolean }): Promise<void> {
    if (!this.client) throw new Error('the external broker client is not started');
    await this.client.publishAsync(topic, payload, { qos: options.qos, retain: options.retain ?? false });
  }

  /**
   * Called by MQTT.js for a QoS 1/2 message before it sends the PUBACK/PUBREC, which `ack(0)` releases.
   * A message not acknowledged stays in flight in this session, and the broker sends it again when the
   * session resumes (MQTT 5 §4.4): so on a store failure the connection is dropped to get it back.
   * MQTT.js handles one incoming packet at a time, so messages are stored one after the other.
   */
  private onPublish(topic: string, payload: Buffer, ack: (error: Error | number, code?: number) => void): void {
    this.track(this.ingest(topic, payload)).then(
      () => ack(0),
      (error: unknown) => {
        this.log.error({ err: error, topic }, 'could not store a message: reconnecting so that the broker sends it again');
        this.client?.stream.destroy();
      },
    );
  }

  private ingest(topic: string, payload: Buffer): Promise<unknown> {
    // No username: the external broker authenticated the device, and its ACLs tie it to the topic's device id.
    return this.options.hooks.ingest({ topic, payload, receivedAt: Date.now(), clientId: null, username: null });
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const forget = () => this.inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }
}

/** Resolves on the first CONNACK, rejects on the first error (unreachable, refused credentials). */
export function firstConnection(client: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    client.once('connect', () => {
      client.off('error', reject);
      resolve();
    });
    client.once('error', reject);
  });
}

/**
 * This node's client id: `mqtt.externalClientId`, else one generated once and kept in its data folder, so
 * that its session survives restarts and a standby on the same folder takes the same session over.
 */
export async function externalClientId(config: Config['mqtt'], dataDir: string): Promise<string> {
  return config.externalClientId || stableClientId(dataDir);
}

async function stableClientId(dataDir: string): Promise<string> {
  const path = join(dataDir, clientIdFile);
  const existing = await readFile(path, 'utf8').then(
    (text) => text.trim(),
    () => '',
  );
  if (existing) return existing;
  const id = `parcours-${randomBytes(6).toString('hex')}`;
  await mkdir(dataDir, { recursive: true });
  await writeFile(path, `${id}\n`);
  return id;
}
