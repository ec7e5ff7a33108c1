import { Counter, Gauge, type Registry } from 'prom-client';

export type ListenerName = 'tcp' | 'tls' | 'ws';

/** Byte counts of a listener's connections: closed ones summed, open ones read at scrape time. */
export class ListenerBytes {
  private closedIn = 0;
  private closedOut = 0;
  private readonly open = new Set<{ bytesRead: number; bytesWritten: number }>();

  track(socket: { bytesRead: number; bytesWritten: number; once(event: 'close', listener: () => void): unknown }): void {
    this.open.add(socket);
    socket.once('close', () => {
      this.open.delete(socket);
      this.closedIn += socket.bytesRead;
      this.closedOut += socket.bytesWritten;
    });
  }

  totals(): { in: number; out: number } {
    let inBytes = this.closedIn;
    let outBytes = this.closedOut;
    for (const socket of this.open) {
      inBytes += socket.bytesRead;
      outBytes += socket.bytesWritten;
    }
    return { in: inBytes, out: outBytes };
  }
}

/** The broker's Prometheus metrics, per listener where a connection is involved (issue 5, "Observability"). */
export function createBrokerMetrics(registry: Registry, live: { connected(listener: ListenerName): number; bytes(listener: ListenerName): { in: number; out: number } }) {
  const registers = [registry];
  const listeners: ListenerName[] = ['tcp', 'tls', 'ws'];
  const listener = ['listener'] as const;
  return {
    connected: new Gauge({
      name: 'parcours_mqtt_clients_connected', help: 'MQTT clients connected, by listener.', labelNames: listener, registers,
      collect() {
        for (const name of listeners) this.set({ listener: name }, live.connected(name));
      },
    }),
    connects: new Counter({ name: 'parcours_mqtt_connects_total', help: 'Successful MQTT connections, by listener.', labelNames: listener, registers }),
    disconnects: new Counter({ name: 'parcours_mqtt_disconnects_total', help: 'MQTT disconnections (graceful or not), by listener.', labelNames: listener, registers }),
    authFailures: new Counter({
      name: 'parcours_mqtt_auth_failures_total', help: 'MQTT connections refused at authentication, by listener and reason.', labelNames: ['listener', 'reason'] as const, registers,
    }),
    refused: new Counter({
      name: 'parcours_mqtt_limit_breaches_total', help: 'Connections or packets refused by a limit (max_connections, connect_rate, auth_rate_limited, packet_size, inflight), by listener.',
      labelNames: ['listener', 'limit'] as const, registers,
    }),
    deniedPublishes: new Counter({ name: 'parcours_mqtt_denied_publishes_total', help: 'Publishes refused by the ACL (the client is disconnected), by listener.', labelNames: listener, registers }),
    deniedSubscribes: new Counter({ name: 'parcours_mqtt_denied_subscribes_total', help: 'Subscriptions refused by the ACL (SUBACK 0x80), by listener.', labelNames: listener, registers }),
    messagesIn: new Counter({ name: 'parcours_mqtt_messages_received_total', help: 'PUBLISH packets received from clients, by listener.', labelNames: listener, registers }),
    messagesOut: new Counter({ name: 'parcours_mqtt_messages_sent_total', help: 'PUBLISH packets delivered to clients, by listener.', labelNames: listener, registers }),
    bytesIn: new Gauge({
      name: 'parcours_mqtt_bytes_received_total', help: 'Bytes received on MQTT connections, by listener.', labelNames: listener, registers,
      collect() {
        for (const name of listeners) this.set({ listener: name }, live.bytes(name).in);
      },
    }),
    bytesOut: new Gauge({
      name: 'parcours_mqtt_bytes_sent_total', help: 'Bytes sent on MQTT connections, by listener.', labelNames: listener, registers,
      collect() {
        for (const name of listeners) this.set({ listener: name }, live.bytes(name).out);
      },
    }),
  };
}

export type BrokerMetrics = ReturnType<typeof createBrokerMetrics>;
