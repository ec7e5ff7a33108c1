import type { Principal } from './acl.js';

/** What the broker asks of the rest of Parcours: who is connecting, and where device messages go. */
export interface BrokerHooks {
  /** Who holds these credentials: a device (id + secret) or an API key (any username, the key as password). */
  authenticate(username: string, password: string): Promise<Principal | null>;
  /** Whether a registered device has this id (a TLS client certificate's CN names one). */
  deviceExists(deviceId: string): boolean;
  /** Whether a client's publish on this topic must be ingested before it is acknowledged. */
  isIngestTopic(topic: string): boolean;
  /** Stores the message durably; a rejection means it must not be acknowledged. */
  ingest(message: { topic: string; payload: Buffer; receivedAt: number; clientId: string | null; username: string | null }): Promise<unknown>;
}
