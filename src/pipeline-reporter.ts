import { hostname } from 'node:os';
import { measurements, tags } from '@parcours/contracts';
import type { ConsumerStatus, InfluxPoint, InfluxWriter } from '@parcours/gateway';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/** Counter totals of the ingest stage, as `/metrics` has them, to the fields of the `pipeline` measurement. */
const ingestFields = {
  received: 'parcours_messages_received_total',
  accepted: 'parcours_messages_accepted_total',
  quarantined: 'parcours_messages_quarantined_total',
  duplicates: 'parcours_messages_duplicate_total',
  late: 'parcours_messages_late_total',
} as const;

/** Gauges of the broker and the gateway's presence to the fields of the `stage=broker` point. */
const brokerFields = {
  connections: 'parcours_mqtt_clients_connected',
  devices_online: 'parcours_devices_online',
} as const;

const quarantinedByReason = 'parcours_messages_quarantined_total';

async function values(registry: Registry, name: string): Promise<{ value: number; labels: Record<string, string | number | undefined> }[]> {
  const metric = registry.getSingleMetric(name);
  // `get()` runs a gauge's `collect`, as a scrape of /metrics would.
  return metric ? (await metric.get()).values : [];
}

async function total(registry: Registry, name: string): Promise<number> {
  return (await values(registry, name)).reduce((sum, v) => sum + v.value, 0);
}

async function totals<K extends string>(registry: Registry, names: Record<K, string>): Promise<Record<K, number>> {
  return Object.fromEntries(
    await Promise.all(Object.entries<string>(names).map(async ([field, name]) => [field, await total(registry, name)] as const)),
  ) as Record<K, number>;
}

/**
 * Writes the pipeline's own health to InfluxDB (measurement `pipeline`) at an interval, so the fleet
 * dashboard can show ingest rates and how far each log reader is behind next to the data itself. Points,
 * all at the same time and tagged with the node:
 * - `stage=ingest`: the gateway's counter totals and the records stored in the log;
 * - `stage=broker`: MQTT connections (all listeners) and devices whose last status is online, when this
 *   node runs the embedded broker (its gauges are in the registry);
 * - `stage=quarantine`, one per reason code met so far: `quarantined`, with a `reason` tag;
 * - one per log reader, its stage named after it: the records it has still to handle, its lag in seconds and last batch time.
 */
export class PipelineReporter {
  private timer: NodeJS.Timeout | null = null;
  private readonly node = hostname();

  constructor(
    private readonly deps: {
      writer: InfluxWriter;
      registry: Registry;
      intervalMs: number;
      /** Records stored in the durable log. */
      logRecords: () => number;
      consumers: () => Record<string, ConsumerStatus>;
      logger: Logger;
    },
  ) {}

  async start(): Promise<void> {
    this.timer = setInterval(() => {
      this.report().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'could not write the pipeline measurement'));
    }, this.deps.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async points(now = Date.now()): Promise<InfluxPoint[]> {
    const { registry } = this.deps;
    const point = (stage: string, intFields: Record<string, number>, extra: Record<string, string> = {}): InfluxPoint => ({
      measurement: measurements.pipeline,
      tags: { node: this.node, stage, ...extra },
      fields: {},
      intFields,
      timestampMs: now,
    });
    const ingest = point('ingest', { ...(await totals(registry, ingestFields)), log_depth: this.deps.logRecords() });
    const broker = registry.getSingleMetric(brokerFields.connections) ? [point('broker', await totals(registry, brokerFields))] : [];
    const quarantine = (await values(registry, quarantinedByReason)).map((v) =>
      point('quarantine', { quarantined: v.value }, { [tags.reason]: String(v.labels.reason) }),
    );
    const readers = Object.entries(this.deps.consumers()).map(
      ([stage, s]): InfluxPoint => ({
        measurement: measurements.pipeline,
        tags: { node: this.node, stage },
        fields: { lag_s: s.lagSeconds, write_ms: s.lastBatchMs },
        intFields: { log_depth: s.lag },
        timestampMs: now,
      }),
    );
    return [ingest, ...broker, ...quarantine, ...readers];
  }

  private async report(): Promise<void> {
    await this.deps.writer.write(await this.points());
  }
}
