import { connect as connectTcp, type Socket } from 'node:net';
import { waitUntil } from './mqtt-clients.js';

/**
 * MQTT 3.1.1 packets built byte by byte, for what MQTT.js and mqtt-packet refuse to send (ill-formed UTF-8,
 * packet id 0, a will QoS of 3…), and a raw TCP connection that records what the broker answers.
 */

/** A UTF-8 string field [MQTT-1.5.3]: its length, then its bytes (given raw to send ill-formed ones). */
export function field(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([u16(bytes.length), bytes]);
}

function u16(value: number): Buffer {
  return Buffer.from([value >> 8, value & 0xff]);
}

/** A fixed header (type and flags, remaining length as a variable byte integer) followed by the body. */
function packet(firstByte: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const length: number[] = [];
  let rest = body.length;
  do {
    length.push((rest % 128) | (rest >= 128 ? 0x80 : 0));
    rest = Math.floor(rest / 128);
  } while (rest > 0);
  return Buffer.concat([Buffer.from([firstByte, ...length]), body]);
}

export interface ConnectFields {
  clientId: string | Buffer;
  username?: string;
  password?: string;
  will?: { topic: string | Buffer; qos: number };
  protocol?: { name: string; level: number };
}

export function connectPacket({ clientId, username, password, will, protocol = { name: 'MQTT', level: 4 } }: ConnectFields): Buffer {
  const flags = 0x02 | (username === undefined ? 0 : 0x80) | (password === undefined ? 0 : 0x40) | (will ? 0x04 | (will.qos << 3) : 0);
  return packet(
    0x10,
    field(protocol.name),
    Buffer.from([protocol.level, flags]),
    u16(30),
    field(clientId),
    ...(will ? [field(will.topic), field('offline')] : []),
    ...(username === undefined ? [] : [field(username)]),
    ...(password === undefined ? [] : [field(password)]),
  );
}

export function publishPacket(topic: string | Buffer, qos: 0 | 1 | 2, packetId = 1): Buffer {
  return packet(0x30 | (qos << 1), field(topic), qos > 0 ? u16(packetId) : Buffer.alloc(0), Buffer.from('{}'));
}

export function subscribePacket(packetId: number, filters: (string | Buffer)[]): Buffer {
  return packet(0x82, u16(packetId), ...filters.map((filter) => Buffer.concat([field(filter), Buffer.from([0])])));
}

export function unsubscribePacket(packetId: number, filters: (string | Buffer)[]): Buffer {
  return packet(0xa2, u16(packetId), ...filters.map((filter) => field(filter)));
}

export const pingreq = Buffer.from([0xc0, 0]);
export const pingresp = Buffer.from([0xd0, 0]);
export const connackAccepted = Buffer.from([0x20, 2, 0, 0]);

/** A TCP connection to the broker that keeps everything it answers, and notes when it closes the connection. */
export class RawConnection {
  received = Buffer.alloc(0);
  closed = false;
  private readonly socket: Socket;

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = connectTcp(Number(port), hostname);
    this.socket.on('data', (chunk: Buffer) => (this.received = Buffer.concat([this.received, chunk])));
    this.socket.on('error', () => undefined); // a reset is a close too
    this.socket.on('close', () => (this.closed = true));
  }

  write(...packets: Buffer[]): void {
    this.socket.write(Buffer.concat(packets));
  }

  /** Waits until the broker closed the connection or answered with `bytes`. */
  async closedOrAnswered(bytes: Buffer): Promise<void> {
    await waitUntil(() => this.closed || this.received.includes(bytes));
  }

  destroy(): void {
    this.socket.destroy();
  }
}
