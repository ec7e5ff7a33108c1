import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '@parcours/contracts';
import type { BrokerMetrics, ListenerName, ListenerTraffic } from './broker-metrics.js';
import { type Pending, PendingConnections } from './pending-connections.js';

/** A connection that has not logged in yet: the socket its listener accepted (under TLS or WebSocket). */
export type PendingSocket = Pending<{ listener: ListenerName; socket: Duplex }>;

/**
 * The listeners' side of `PendingConnections`: every socket a listener accepts is pending until its client
 * logs in or it closes; one past a cap is closed at once, and under pressure the silent ones are closed
 * after `mqtt.busyConnectTimeout` (aedes waits `mqtt.connectTimeout`). Each is counted in
 * `parcours_mqtt_limit_breaches_total`, and the pending ones in `parcours_mqtt_connections_pending`.
 */
export class PendingSockets {
  private readonly pending: PendingConnections<PendingSocket['value']>;
  /** TLS connections under handshake, by peer address and port, until the listener hands over the TLS socket. */
  private readonly tlsHandshakes = new Map<string, PendingSocket>();
  private sweep: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: Pick<Config['mqtt'], 'maxPending' | 'maxPendingPerAddress' | 'busyConnectTimeout'>,
    private readonly traffic: Readonly<Record<ListenerName, ListenerTraffic>>,
    private readonly metrics: Pick<BrokerMetrics, 'refused'>,
  ) {
    this.pending = new PendingConnections({
      maxPending: config.maxPending,
      maxPendingPerAddress: config.maxPendingPerAddress,
      busyTimeoutMs: config.busyConnectTimeout,
    });
  }

  start(): void {
    this.sweep = setInterval(() => this.closeOverdue(), Math.min(1000, this.config.busyConnectTimeout / 2));
    this.sweep.unref();
  }

  stop(): void {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
  }

  /** Counts a socket a listener accepted as pending; past a cap it is closed at once (null). */
  admit(socket: Duplex & { remoteAddress?: string | undefined }, listener: ListenerName): PendingSocket | null {
    const pending = this.pending.open(socket.remoteAddress ?? 'unknown', { listener, socket });
    if (typeof pending === 'string') {
      this.metrics.refused.inc({ listener, limit: pending });
      socket.destroy();
      return null;
    }
    this.traffic[listener].pending += 1;
    socket.once('close', () => this.release(pending));
    return pending;
  }

  /** A TLS connection is pending from its first byte: a silent one would otherwise wait for its handshake uncounted. */
  admitTls(socket: Socket): void {
    const pending = this.admit(socket, 'tls');
    if (!pending) return;
    const key = peer(socket);
    this.tlsHandshakes.set(key, pending);
    socket.once('close', () => {
      if (this.tlsHandshakes.get(key) === pending) this.tlsHandshakes.delete(key);
    });
  }

  /** The pending connection under a TLS socket whose handshake is done (null if it was closed meanwhile). */
  tlsHandshakeDone(socket: Socket): PendingSocket | null {
    const key = peer(socket);
    const pending = this.tlsHandshakes.get(key) ?? null;
    this.tlsHandshakes.delete(key);
    return pending;
  }

  /** Its CONNECT arrived: it is no longer silent. */
  connectReceived(pending: PendingSocket): void {
    this.pending.connectReceived(pending);
  }

  /** It logged in, or closed: no longer pending (a second call does nothing). */
  release(pending: PendingSocket): void {
    if (this.pending.close(pending)) this.traffic[pending.value.listener].pending -= 1;
  }

  private closeOverdue(): void {
    for (const pending of this.pending.overdue()) {
      this.metrics.refused.inc({ listener: pending.value.listener, limit: 'pending_timeout' });
      this.release(pending);
      pending.value.socket.destroy();
    }
  }
}

/** A connection's peer, the same for a TLS socket and the TCP socket under it. */
function peer(socket: Socket): string {
  return `${socket.remoteAddress}:${socket.remotePort}`;
}
