import { Counter, Gauge, type Registry } from 'prom-client';

export type ListenerName = 'tcp' | 'tls' | 'ws';

/** What goes through one listener: plain numbers on the per-message path, read by /metrics and $SYS. */
export class ListenerTraffic {
  connected = 0;
  /** Connections not logged in yet. */
  pending = 0;
  messagesIn = 0;
  messagesOut = 0;
  private closedIn = 0;
  private closedOut = 0;
  private readonly open = new Set<{ bytesRead: number; bytesWritten: number }>();

  /** Counts a connection's bytes: read from the socket while it is open, kept once it closes. */
  track(socket: { bytesRead: number; bytesWritten: number; once(event: 'close', listener: () => void): unknown }): void {
    this.open.add(socket);
    socket.once('close', () => {
      this.open.delete(socket);
      this.closedIn += socket.bytesRead;
      this.closedOut += socket.bytesWritten;
    });
  }

  bytes(): { in: number; out: number } {
    let inBytes = this.closedIn;
    let outBytes = this.closedOut;
    for (const socket of this.open) {
      inBytes += socket.bytesRead;
      outBytes += socket.bytesWritten;
    }
    return { in: inBytes, out: outBytes };
  }
}

/** A gauge per listener whose values are read at scrape time. */
export function listenerGauge(registry: Registry, name: string, help: string, values: () => Record<ListenerName, number>): Gauge<'listener'> {
  return new Gauge({
    name,
    help,
    labelNames: ['listener'] as const,
    registers: [registry],
    collect() {
      for (const [listener, value] of Object.entries(values())) this.set({ listener }, value);
    },
  });
}

/** The broker's Prometheus metrics, per listener where a connection is involved. */
export function createBrokerMetrics(registry: Registry, traffic: Readonly<Record<ListenerName, ListenerTraffic>>) {
  const registers = [registry];
  const listener = ['listener'] as const;
  /** A gauge per listener read from `traffic` at scrape time (the `_total` ones only grow). */
  const fromTraffic = (name: string, help: string, read: (t: ListenerTraffic) => number) =>
    listenerGauge(registry, name, help, () => ({ tcp: read(traffic.tcp), tls: read(traffic.tls), ws: read(traffic.ws) }));
  return {
    connected: fromTraffic('parcours_mqtt_clients_connected', 'MQTT clients connected, by listener.', (t) => t.connected),
    pending: fromTraffic('parcours_mqtt_connections_pending', 'Connections not logged in yet (no CONNACK), by listener.', (t) => t.pending),
    connects: new Counter({ name: 'parcours_mqtt_connects_total', help: 'Successful MQTT connections, by listener.', labelNames: listener, registers }),
    disconnects: new Counter({
      name: 'parcours_mqtt_disconnects_total',
      help: 'MQTT disconnections (graceful or not), by listener.',
      labelNames: listener,
      registers,
    }),
    authFailures: new Counter({
      name: 'parcours_mqtt_auth_failures_total',
      help: 'MQTT connections refused at authentication, by listener and reason.',
      labelNames: ['listener', 'reason'] as const,
      registers,
    }),
    refused: new Counter({
      name: 'parcours_mqtt_limit_breaches_total',
      help: 'Connections or packets refused or held back by a limit (max_connections, connect_rate, auth_rate_limited, auth_address_rate_limited, pending_connections, pending_per_address, pending_timeout, packet_size, inflight, publish_rate, queued_messages, queued_bytes, send_timeout), by listener.',
      labelNames: ['listener', 'limit'] as const,
      registers,
    }),
    deniedPublishes: new Counter({
      name: 'parcours_mqtt_denied_publishes_total',
      help: 'Publishes refused by the ACL (the client is disconnected), by listener.',
      labelNames: listener,
      registers,
    }),
    dropped: new Counter({
      name: 'parcours_mqtt_messages_dropped_total',
      help: 'QoS 0 device messages dropped under overload, neither stored nor delivered to any subscriber, by listener and reason (backlog: the store is behind; busy: the event loop is). What a subscriber misses is in parcours_mqtt_deliveries_dropped_total.',
      labelNames: ['listener', 'reason'] as const,
      registers,
    }),
    deniedSubscribes: new Counter({
      name: 'parcours_mqtt_denied_subscribes_total',
      help: 'Subscriptions refused by the ACL (SUBACK 0x80), by listener.',
      labelNames: listener,
      registers,
    }),
    protocolErrors: new Counter({
      name: 'parcours_mqtt_protocol_errors_total',
      help: 'Packets refused as MQTT protocol violations (the connection is closed; an unsupported protocol level gets CONNACK 0x01 first), by listener and reason.',
      labelNames: ['listener', 'reason'] as const,
      registers,
    }),
    messagesIn: fromTraffic('parcours_mqtt_messages_received_total', 'PUBLISH packets received from clients, by listener.', (t) => t.messagesIn),
    messagesOut: fromTraffic('parcours_mqtt_messages_sent_total', 'PUBLISH packets delivered to clients, by listener.', (t) => t.messagesOut),
    bytesIn: fromTraffic('parcours_mqtt_bytes_received_total', 'Bytes received on MQTT connections, by listener.', (t) => t.bytes().in),
    bytesOut: fromTraffic('parcours_mqtt_bytes_sent_total', 'Bytes sent on MQTT connections, by listener.', (t) => t.bytes().out),
    revoked: new Counter({
      name: 'parcours_mqtt_revoked_disconnects_total',
      help: 'Connections closed because the credentials they logged in with stopped being valid, by listener and credentials (device_secret replaced, device deleted, api_key revoked).',
      labelNames: ['listener', 'credentials'] as const,
      registers,
    }),
  };
}

export type BrokerMetrics = ReturnType<typeof createBrokerMetrics>;
