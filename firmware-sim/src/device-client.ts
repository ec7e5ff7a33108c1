import { deviceTopic } from '@parcours/contracts';
import { connectAsync, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';

export interface DeviceAuth {
  username: string;
  password?: string;
}

export interface DeviceClientOptions {
  deviceId: string;
  mqttUrl: string;
  baseTopic: string;
  /** null connects without credentials (anonymous). */
  auth: DeviceAuth | null;
  /** Most unacknowledged publishes at once: MQTT.js itself queues without limit. */
  maxInFlight: number;
  /** Real devices announce `online` and leave an `offline` will; an impostor (unknown device) stays silent. */
  announceStatus: boolean;
  /** Real devices reconnect after a lost connection; an impostor refused once is not retried. */
  reconnect: boolean;
  logger: Logger;
}

/** The broker answered the CONNECT with a refusal (MQTT 3.1.1 CONNACK return code, e.g. 5 not authorized). */
export function isConnectRefused(error: unknown): error is Error & { code: number } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number';
}

/** True when the promise fulfils within `ms`; false when it rejects or takes longer. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([
    promise.then(
      () => true,
      () => false,
    ),
    timeout,
  ]).finally(() => clearTimeout(timer));
}

/** One device's MQTT connection, with a bounded window of in-flight publishes. */
export class DeviceClient {
  private client: MqttClient | null = null;
  /** Settle functions of the publishes not yet acknowledged. */
  private readonly inFlight = new Set<(error: Error | null) => void>();
  /** Callers waiting for the window to change (a list rather than a race, which would pile up reactions). */
  private readonly waiting = new Set<() => void>();
  private cancelled = false;

  constructor(private readonly options: DeviceClientOptions) {}

  private get statusTopic(): string {
    return deviceTopic(this.options.baseTopic, this.options.deviceId, 'status');
  }

  /** Connects; rejects when the broker is unreachable or refuses (see isConnectRefused). */
  async connect(): Promise<void> {
    const { deviceId, mqttUrl, auth, announceStatus, reconnect, logger } = this.options;
    const client = await connectAsync(
      mqttUrl,
      {
        clientId: deviceId,
        clean: true,
        protocolVersion: 4,
        reconnectPeriod: reconnect ? 1000 : 0,
        connectTimeout: 10_000,
        ...(auth ? { username: auth.username, ...(auth.password === undefined ? {} : { password: auth.password }) } : {}),
        ...(announceStatus ? { will: { topic: this.statusTopic, payload: Buffer.from('offline'), qos: 1 as const, retain: true } } : {}),
      },
      reconnect,
    );
    // MQTT.js emits 'error' on an EventEmitter: without a listener a transient error would crash the process.
    // Errors repeat at every reconnect attempt, so only losing the connection is a warning.
    client.on('error', (error) => logger.debug({ deviceId, err: error }, 'device connection error'));
    client.on('offline', () => logger.warn({ deviceId }, 'device lost its broker connection'));
    if (announceStatus) {
      client.on('connect', () => void client.publishAsync(this.statusTopic, 'online', { qos: 1, retain: true }).catch(() => undefined));
      await client.publishAsync(this.statusTopic, 'online', { qos: 1, retain: true });
    }
    this.client = client;
  }

  /**
   * Queues a publish once the window has room. `onSettled` is called when the broker acknowledged the
   * message (QoS 1) or it was written (QoS 0), or with the error that lost it, including cancelWaits().
   */
  async publish(topic: string, payload: string, qos: 0 | 1, onSettled: (error: Error | null) => void, dup = false): Promise<void> {
    while (this.inFlight.size >= this.options.maxInFlight && !this.cancelled) await this.windowChange();
    if (this.cancelled) return onSettled(new Error('the simulator stopped before the message was sent'));
    const client = this.client;
    if (!client) throw new Error(`device ${this.options.deviceId} is not connected`);
    // Settles once: from MQTT.js, or from close() for a message MQTT.js dropped without a callback.
    const settle = (error: Error | null) => {
      if (!this.inFlight.delete(settle)) return;
      onSettled(error);
      this.wake();
    };
    this.inFlight.add(settle);
    client.publishAsync(topic, payload, { qos, dup }).then(() => settle(null), settle);
  }

  /**
   * Loses the connection the way a device does (no DISCONNECT, so the broker publishes the will), or
   * reconnects. Publishes in flight are acknowledged first: what the fault does is then exactly known.
   */
  async setOnline(online: boolean): Promise<void> {
    if (online === (this.client !== null) || this.cancelled) return;
    if (online) return this.connect();
    await this.flush();
    const client = this.client!;
    this.client = null;
    await client.endAsync(true);
  }

  /**
   * Publishes outside its own topics, which the broker answers by closing the connection, then
   * reconnects. QoS 0: MQTT.js would resend an unacknowledged QoS 1 publish at every reconnect.
   */
  async publishForbidden(topic: string, payload: string, waitMs: number): Promise<void> {
    await this.flush();
    const client = this.client;
    if (!client || this.cancelled) return;
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await client.publishAsync(topic, payload, { qos: 0 });
    await settlesWithin(closed, waitMs);
    await this.setOnline(false);
    await this.setOnline(true);
  }

  /** Subscribes (QoS 1) to a filter under the device's own topics; `onMessage` gets each message, retained ones included. */
  async subscribe(filter: string, onMessage: (topic: string, payload: Buffer) => void): Promise<void> {
    const client = this.client;
    if (!client) throw new Error(`device ${this.options.deviceId} is not connected`);
    client.on('message', onMessage);
    await client.subscribeAsync(filter, { qos: 1 });
  }

  private windowChange(): Promise<void> {
    return new Promise((resolve) => this.waiting.add(resolve));
  }

  /** Ends every wait for room in the window (acks that will never come); later publishes fail at once. */
  cancelWaits(): void {
    this.cancelled = true;
    this.wake();
  }

  private wake(): void {
    for (const resolve of this.waiting) resolve();
    this.waiting.clear();
  }

  /** Resolves when every publish so far is settled. */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await this.windowChange();
  }

  /** Announces `offline`, then disconnects cleanly; forces the disconnect after `timeoutMs` (broker gone). */
  async close(timeoutMs: number): Promise<void> {
    const client = this.client;
    this.client = null;
    if (!client) return;
    const drain = async () => {
      await this.flush();
      // A clean DISCONNECT suppresses the will, so the device says `offline` itself.
      if (this.options.announceStatus) await client.publishAsync(this.statusTopic, 'offline', { qos: 1, retain: true });
    };
    // MQTT.js ignores a forced end() once a graceful one is pending: decide before calling it.
    const drained = await settlesWithin(drain(), timeoutMs);
    await client.endAsync(!drained);
    // A forced end drops MQTT.js's offline queue without calling back: those messages are lost.
    for (const settle of [...this.inFlight]) settle(new Error('connection closed before the broker acknowledged'));
  }
}
