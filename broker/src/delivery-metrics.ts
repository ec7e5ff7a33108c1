import { Counter, Gauge, type Registry } from 'prom-client';
import { listenerGauge, type ListenerName } from './broker-metrics.js';
import type { DeliveryQueue } from './delivery-queue.js';

/**
 * The metrics of deliveries to subscribers: what is dropped, what waits, and which client is slowest. The
 * gauges are read from the clients' queues at scrape time; a disconnection for a full queue is counted
 * with the other limit breaches (`parcours_mqtt_limit_breaches_total`).
 */
export function createDeliveryMetrics(registry: Registry, queues: () => Iterable<[DeliveryQueue, ListenerName]>) {
  const registers = [registry];
  const perListener = (name: string, help: string, read: (queue: DeliveryQueue) => number) =>
    listenerGauge(registry, name, help, () => {
      const totals: Record<ListenerName, number> = { tcp: 0, tls: 0, ws: 0 };
      for (const [queue, listener] of queues()) totals[listener] += read(queue);
      return totals;
    });
  return {
    dropped: new Counter({
      name: 'parcours_mqtt_deliveries_dropped_total',
      help: 'Messages a subscriber never received, counted once per subscriber (a device message dropped before any delivery is in parcours_mqtt_messages_dropped_total): QoS 0 ones dropped for newer ones when its queue was full (queue_full), or messages still queued when it was disconnected, except the QoS 1/2 ones its persistent session keeps (disconnected); by listener, QoS and reason.',
      labelNames: ['listener', 'qos', 'reason'] as const,
      registers,
    }),
    queuedMessages: perListener(
      'parcours_mqtt_queued_messages',
      'Messages on their way to subscribers, not yet taken by their connections, by listener.',
      (q) => q.messages,
    ),
    queuedBytes: perListener('parcours_mqtt_queued_bytes', 'Bytes (topics and payloads) of parcours_mqtt_queued_messages, by listener.', (q) => q.bytes),
    slowClients: perListener(
      'parcours_mqtt_slow_clients',
      'Subscribers whose connection takes nothing more for now (its send buffer is full) or who have messages waiting, by listener.',
      (q) => (q.slow ? 1 : 0),
    ),
    slowest: new Gauge({
      name: 'parcours_mqtt_slowest_client_queued_messages',
      help: 'Messages on their way to the slow subscriber that has the most of them, labelled with its client id (no series when none is slow).',
      labelNames: ['listener', 'client_id'] as const,
      registers,
      collect() {
        this.reset();
        let slowest: [DeliveryQueue, ListenerName] | null = null;
        for (const entry of queues()) if (entry[0].slow && (slowest === null || entry[0].messages > slowest[0].messages)) slowest = entry;
        if (slowest) this.set({ listener: slowest[1], client_id: slowest[0].clientId }, slowest[0].messages);
      },
    }),
  };
}

export type DeliveryMetrics = ReturnType<typeof createDeliveryMetrics>;
