import type { Duplex } from 'node:stream';
import { OutgoingQueue, type Outgoing, type QueueLimit, type QueueLimits } from './outgoing-queue.js';

interface DeliveredPacket {
  topic: string;
  payload: Buffer | string;
  qos: number;
  retain: boolean;
}

type Deliver = (packet: DeliveredPacket, done: () => void) => void;

/** The parts of an aedes 1.2 client that deliver a message to it (private API, hence checked below). */
interface DeliveringClient {
  id: string | null;
  clean: boolean;
  closed: boolean;
  conn: Duplex;
  deliver0: Deliver;
  deliverQoS: Deliver;
}

interface Delivery {
  packet: DeliveredPacket;
  /** aedes' own delivery function for the packet's QoS. */
  deliver: Deliver;
}

export type DropReason = 'queue_full' | 'disconnected';

/** What the broker counts and logs of one client's deliveries. */
export interface DeliveryEvents {
  /** A message that will never reach the client: dropped for a newer one, or still queued when it went away. */
  dropped(qos: number, reason: DropReason): void;
  /** The client's queue is full and it loses QoS 0 messages, for the first time since it last caught up. */
  fellBehind(queue: DeliveryQueue): void;
  /** A QoS 1/2 message found no room: the client is disconnected. */
  overflowed(queue: DeliveryQueue, limit: QueueLimit): void;
  /** aedes closed the connection: its send buffer stayed full for `mqtt.sendTimeout` (aedes' `drainTimeout`). */
  timedOut(queue: DeliveryQueue): void;
}

/**
 * One client's deliveries wait in its own bounded queue while its connection takes nothing more (its send
 * buffer is full), limited by `mqtt.maxQueuedMessages` and by `mqtt.maxQueuedBytes` (with what the send
 * buffer holds). aedes 1.2 holds the fan-out of a message until every subscriber's socket has taken it, so
 * one subscriber that stopped reading held back every publisher (whose next packets are read only once
 * their fan-out is done), ingest and the platform's own publishes included. Here each delivery releases the
 * fan-out at once. When the queue is full the oldest QoS 0 messages are dropped, and a QoS 1/2 message that
 * finds no room disconnects the client. A persistent session loses nothing then: aedes stored its QoS 1/2
 * messages before the fan-out and sends them when it is back [MQTT-3.1.2-5]. Call before the client
 * subscribes (aedes binds the delivery functions at SUBSCRIBE).
 */
export class DeliveryQueue {
  private readonly client: DeliveringClient;
  private readonly queue: OutgoingQueue<Delivery>;
  private closed = false;
  private behind = false;

  constructor(
    client: unknown,
    limits: QueueLimits,
    private readonly events: DeliveryEvents,
  ) {
    const target = client as DeliveringClient;
    if (typeof target.deliver0 !== 'function' || typeof target.deliverQoS !== 'function' || typeof target.conn?.destroy !== 'function') {
      throw new Error('aedes client without deliver0/deliverQoS/conn');
    }
    this.client = target;
    this.queue = new OutgoingQueue(limits);
    const deliver0 = target.deliver0.bind(target);
    const deliverQoS = target.deliverQoS.bind(target);
    target.deliver0 = (packet, done) => this.offer(packet, 0, deliver0, done);
    // As aedes does, a QoS 0 message to a QoS 1/2 subscription goes through `deliver0` (wrapped or not).
    target.deliverQoS = (packet, done) => (packet.qos === 0 ? target.deliver0(packet, done) : this.offer(packet, packet.qos, deliverQoS, done));
    target.conn.on('drain', () => this.pump());
    target.conn.once('close', () => {
      // aedes destroys the connection with this error when its drain timeout expires (the tests cover it).
      if (target.conn.errored?.message === 'drain timeout') this.events.timedOut(this);
      this.close();
    });
  }

  get clientId(): string {
    return this.client.id ?? '';
  }

  /** Messages waiting for the connection. */
  get messages(): number {
    return this.queue.messages;
  }

  /** Bytes waiting for the connection, or in its send buffer. */
  get bytes(): number {
    return this.queue.bytes + this.client.conn.writableLength;
  }

  /** Its connection takes nothing more for now (its send buffer is full), or messages wait for it. */
  get slow(): boolean {
    return this.queue.messages > 0 || this.client.conn.writableNeedDrain;
  }

  private offer(packet: DeliveredPacket, qos: number, deliver: Deliver, done: () => void): void {
    // Released at once, but not synchronously: a fan-out whose deliveries all finish in the same tick would
    // go on to the publisher's next packet within it, and so on down the stack (aedes defers them too).
    setImmediate(done);
    const entry: Outgoing<Delivery> = { value: { packet, deliver }, qos, bytes: packetBytes(packet) };
    if (this.closed || this.client.closed) {
      this.lose(entry);
      return;
    }
    if (this.queue.messages === 0 && !this.client.conn.writableNeedDrain) {
      deliver(packet, noop);
      return;
    }
    const admission = this.queue.offer(entry, this.client.conn.writableLength);
    if (admission.outcome === 'queued') {
      for (const dropped of admission.dropped) this.drop(dropped.qos);
    } else if (admission.outcome === 'dropped') {
      this.drop(0);
    } else {
      this.lose(entry);
      this.events.overflowed(this, admission.full);
      this.close();
      // Without an error: the connection just closes, and aedes publishes the client's will, if any.
      this.client.conn.destroy();
    }
  }

  /**
   * Hands waiting messages to aedes, which writes them, while the send buffer has room. Within one tick it
   * may hand over them all (aedes writes on the next), so the buffer briefly holds at most a queue's worth.
   */
  private pump(): void {
    while (!this.closed && !this.client.closed && !this.client.conn.writableNeedDrain) {
      const entry = this.queue.take();
      if (!entry) {
        this.behind = false;
        return;
      }
      entry.value.deliver(entry.value.packet, noop);
    }
  }

  private drop(qos: number): void {
    this.events.dropped(qos, 'queue_full');
    if (this.behind) return;
    this.behind = true;
    this.events.fellBehind(this);
  }

  /** A message the client will not get on this connection; lost unless its persistent session keeps it. */
  private lose(entry: Outgoing<Delivery>): void {
    const kept = entry.qos > 0 && !this.client.clean && !entry.value.packet.retain;
    if (!kept) this.events.dropped(entry.qos, 'disconnected');
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.queue.clear()) this.lose(entry);
  }
}

/** What a message holds in memory: its topic and payload. */
function packetBytes(packet: DeliveredPacket): number {
  const payload = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
  return Buffer.byteLength(packet.topic) + payload;
}

function noop(): void {}
