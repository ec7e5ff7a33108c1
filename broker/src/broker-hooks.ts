/** What the broker asks of the rest of Parcours: who may connect, and where device messages go. */
export interface BrokerHooks {
  /** Checks a device's credentials (username = device id, password = secret). */
  authenticate(username: string, password: string): boolean | Promise<boolean>;
  /** Whether a client's publish on this topic must be ingested before it is acknowledged. */
  isIngestTopic(topic: string): boolean;
  /** Stores the message durably; a rejection means it must not be acknowledged. */
  ingest(message: { topic: string; payload: Buffer; receivedAt: number; clientId: string | null; username: string | null }): Promise<unknown>;
}
