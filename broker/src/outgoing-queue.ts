/** A message for one client, with what its queue's limits count. */
export interface Outgoing<T> {
  readonly value: T;
  readonly qos: number;
  /** Its topic and payload: what it holds in memory until the connection takes it. */
  readonly bytes: number;
}

export interface QueueLimits {
  maxMessages: number;
  maxBytes: number;
}

export type QueueLimit = 'queued_messages' | 'queued_bytes';

/**
 * What became of an offered message: queued (perhaps after dropping older QoS 0 messages to make room),
 * dropped (a QoS 0 message that finds no room), or refused (a QoS 1/2 message that finds no room, `full`
 * naming the limit: the client cannot keep up with what it asked to receive reliably).
 */
export type Admission<T> = { outcome: 'queued'; dropped: Outgoing<T>[] } | { outcome: 'dropped' } | { outcome: 'refused'; full: QueueLimit };

/**
 * The messages waiting for one client whose connection takes nothing more for now, bounded in count and
 * bytes; the bytes its connection already holds (`held`) count against the byte limit too. When full, a
 * new message makes room by dropping the oldest waiting QoS 0 messages (the newest data wins, as in EMQX);
 * a QoS 0 message that still finds no room is dropped, a QoS 1/2 one is refused. Pure: the broker decides
 * what a refusal does to the client.
 */
export class OutgoingQueue<T> {
  // Sets iterate in insertion order: the first entry is the oldest, and one leaves from the middle at once.
  private readonly waiting = new Set<Outgoing<T>>();
  private readonly waitingQos0 = new Set<Outgoing<T>>();
  private qos0Bytes = 0;
  /** Bytes of the waiting messages. */
  bytes = 0;

  constructor(private readonly limits: QueueLimits) {}

  /** Messages waiting. */
  get messages(): number {
    return this.waiting.size;
  }

  offer(entry: Outgoing<T>, held = 0): Admission<T> {
    const dropped: Outgoing<T>[] = [];
    if (this.full(entry, this.messages, this.bytes + held) !== null) {
      // Would dropping every waiting QoS 0 message make room? If not, none is dropped for nothing.
      const blocked = this.full(entry, this.messages - this.waitingQos0.size, this.bytes - this.qos0Bytes + held);
      if (blocked !== null) return entry.qos === 0 ? { outcome: 'dropped' } : { outcome: 'refused', full: blocked };
      while (this.full(entry, this.messages, this.bytes + held) !== null) {
        const oldest = first(this.waitingQos0);
        this.remove(oldest);
        dropped.push(oldest);
      }
    }
    this.waiting.add(entry);
    this.bytes += entry.bytes;
    if (entry.qos === 0) {
      this.waitingQos0.add(entry);
      this.qos0Bytes += entry.bytes;
    }
    return { outcome: 'queued', dropped };
  }

  /** The oldest waiting message, taken out to be written. */
  take(): Outgoing<T> | undefined {
    if (this.waiting.size === 0) return undefined;
    const entry = first(this.waiting);
    this.remove(entry);
    return entry;
  }

  /** Removes and returns every waiting message (the client is gone). */
  clear(): Outgoing<T>[] {
    const rest = [...this.waiting];
    for (const entry of rest) this.remove(entry);
    return rest;
  }

  /** Which limit a new entry would break, given what is counted; a message fits an empty queue whatever its size. */
  private full(entry: Outgoing<T>, messages: number, bytes: number): QueueLimit | null {
    if (messages + 1 > this.limits.maxMessages) return 'queued_messages';
    if (messages > 0 && bytes + entry.bytes > this.limits.maxBytes) return 'queued_bytes';
    return null;
  }

  private remove(entry: Outgoing<T>): void {
    this.waiting.delete(entry);
    this.bytes -= entry.bytes;
    if (this.waitingQos0.delete(entry)) this.qos0Bytes -= entry.bytes;
  }
}

function first<T>(set: Set<T>): T {
  return set.values().next().value as T;
}
