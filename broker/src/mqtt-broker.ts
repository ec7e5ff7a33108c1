import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Config } from '@parcours/contracts';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import { isPlatformOnlyTopic } from './authorize.js';
import type { BrokerHooks } from './broker-hooks.js';

export interface MqttBrokerOptions {
  config: Config['mqtt'];
  logger: Logger;
  hooks: BrokerHooks;
}

/** CONNACK return codes of MQTT 3.1.1 (plain numbers: aedes' const enum breaks under isolatedModules). */
const connack = { badUsernameOrPassword: 4, notAuthorized: 5 } as const;

function authError(message: string, returnCode: number): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode });
}

/**
 * The embedded broker (aedes). A device's QoS 1/2 publish is ingested inside `authorizePublish`, which
 * aedes runs before it writes the PUBACK/PUBREC, so an acknowledged message is already durable.
 */
export class MqttBroker {
  private aedes: Aedes | null = null;
  private server: Server | null = null;
  private readonly usernames = new WeakMap<Client, string>();

  constructor(private readonly options: MqttBrokerOptions) {}

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  get connectedClients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  async start(): Promise<void> {
    const { config, logger, hooks } = this.options;
    const log = logger.child({ part: 'broker' });
    const aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        if (username === undefined) {
          return config.allowAnonymous ? done(null, true) : done(authError('credentials required', connack.notAuthorized), false);
        }
        Promise.resolve(hooks.authenticate(username, password?.toString('utf8') ?? '')).then(
          (ok) => {
            if (!ok) {
              log.warn({ clientId: client.id, username }, 'authentication failed');
              return done(authError('bad username or password', connack.badUsernameOrPassword), false);
            }
            this.usernames.set(client, username);
            done(null, true);
          },
          (error: unknown) => done(authError(String(error), connack.notAuthorized), false),
        );
      },
      authorizePublish: (client, packet, done) => this.authorizePublish(client, packet, done),
    });
    aedes.on('clientError', (client, error) => log.debug({ clientId: client.id, err: error }, 'client error'));
    aedes.on('connectionError', (client, error) => log.debug({ clientId: client?.id, err: error }, 'connection error'));
    this.aedes = aedes;
    const server = createServer(aedes.handle);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    log.info({ port: this.port }, 'MQTT broker listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
    this.server = null;
    this.aedes = null;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Publishes as the platform (derived sessions and journeys for integrators). */
  publish(topic: string, payload: string | Buffer, options: { qos: 0 | 1 | 2; retain?: boolean }): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return Promise.reject(new Error('the broker is not started'));
    const packet = { cmd: 'publish', topic, payload, qos: options.qos, retain: options.retain ?? false, dup: false } as PublishPacket;
    return new Promise((resolve, reject) => aedes.publish(packet, (error) => (error ? reject(error) : resolve())));
  }

  private authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    const { config, hooks } = this.options;
    if (client === null) return done(null);
    if (isPlatformOnlyTopic(config.baseTopic, packet.topic)) return done(new Error(`${packet.topic} is reserved for the platform`));
    if (!hooks.isIngestTopic(packet.topic)) return done(null);
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    hooks
      .ingest({ topic: packet.topic, payload, receivedAt: Date.now(), clientId: client.id, username: this.usernames.get(client) ?? null })
      .then(() => done(null), (error: Error) => done(error));
  }
}
