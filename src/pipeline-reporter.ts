import { hostname } from 'node:os';
import { measurements } from '@parcours/contracts';
import type { ConsumerStatus, InfluxPoint, InfluxWriter } from '@parcours/gateway';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/** Counter totals of the ingest stage, as `/metrics` has them, to the `pipeline` fields of DESIGN.md. */
const ingestFields = {
  received: 'parcours_messages_received_total',
  accepted: 'parcours_messages_accepted_total',
  quarantined: 'parcours_messages_quarantined_total',
  duplicates: 'parcours_messages_duplicate_total',
  late: 'parcours_messages_late_total',
} as const;

async function total(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  return (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
}

/**
 * Writes the pipeline's own health to InfluxDB (measurement `pipeline`) at an interval, so the fleet
 * dashboard can show ingest rates and how far each log reader is behind next to the data itself.
 */
export class PipelineReporter {
  private timer: NodeJS.Timeout | null = null;
  private readonly node = hostname();

  constructor(
    private readonly deps: {
      writer: InfluxWriter;
      registry: Registry;
      intervalMs: number;
      logHead: () => number;
      consumers: () => Record<string, ConsumerStatus>;
      logger: Logger;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.report().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'could not write the pipeline measurement'));
    }, this.deps.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async points(now = Date.now()): Promise<InfluxPoint[]> {
    const counts = Object.fromEntries(await Promise.all(Object.entries(ingestFields).map(async ([field, name]) => [field, await total(this.deps.registry, name)] as const)));
    const ingest: InfluxPoint = { measurement: measurements.pipeline, tags: { node: this.node, stage: 'ingest' }, fields: {}, intFields: { ...counts, log_depth: this.deps.logHead() }, timestampMs: now };
    const readers = Object.entries(this.deps.consumers()).map(([stage, s]): InfluxPoint => ({
      measurement: measurements.pipeline, tags: { node: this.node, stage }, fields: { lag_s: s.lagSeconds, write_ms: s.lastBatchMs }, intFields: { log_depth: s.lag }, timestampMs: now,
    }));
    return [ingest, ...readers];
  }

  private async report(): Promise<void> {
    await this.deps.writer.write(await this.points());
  }
}
