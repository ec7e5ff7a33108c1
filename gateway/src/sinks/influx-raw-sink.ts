import { errorCodes, tags, type PartHealth } from '@parcours/contracts';
import type { Logger } from 'pino';
import { toLineProtocol } from '../influx/point.js';
import { keptPayload } from '../quarantine/kept-payload.js';
import type { QuarantineStore } from '../quarantine/quarantine-store.js';
import { writeIsolatingRefused } from '../influx/write-isolating.js';
import type { InfluxWriter } from '../influx/writer.js';
import type { ConsumerOffsets } from '../log/consumer-offsets.js';
import type { EventLog } from '../log/event-log.js';
import { LogConsumer, type ConsumerStatus } from '../log/log-consumer.js';
import type { GatewayMetrics } from '../metrics.js';
import { rawPoint } from './raw-points.js';

const consumerName = 'influx-raw';

/**
 * Follows the durable log and writes raw telemetry and usage events to InfluxDB, resuming after outages.
 * A point InfluxDB refuses for good (a 4xx) is quarantined with the server's message.
 */
export class InfluxRawSink {
  private readonly consumer: LogConsumer;

  constructor(deps: {
    log: EventLog;
    offsets: ConsumerOffsets;
    writer: InfluxWriter;
    quarantine: QuarantineStore;
    metrics: GatewayMetrics;
    logger: Logger;
    batchSize: number;
  }) {
    const { log, offsets, writer, quarantine, metrics, logger, batchSize } = deps;
    this.consumer = new LogConsumer({
      name: consumerName,
      log,
      offsets,
      batchSize,
      logger: logger.child({ part: 'influx-sink' }),
      handle: (records, signal) =>
        writeIsolatingRefused(
          writer,
          records.map(rawPoint),
          (point, error) => {
            metrics.influxRefused.inc({ measurement: point.measurement });
            logger.error({ point, reason: error.message }, 'InfluxDB refused a point: quarantined; the message stays in the durable log');
            quarantine.append([
              {
                receivedAt: Date.now(),
                topic: `influx/${point.measurement}`,
                deviceId: point.tags[tags.device] ?? null,
                clientId: null,
                username: null,
                reason: errorCodes.influxRefused,
                detail: error.message,
                ...keptPayload(Buffer.from(toLineProtocol(point))),
              },
            ]);
          },
          signal,
        ),
      onError: () => metrics.sinkErrors.inc({ consumer: consumerName }),
    });
  }

  /** Runs `task` between two batches (see `LogConsumer.exclusive`): a rewrite of points is not undone by a batch read before it. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.consumer.exclusive(task);
  }

  get lag(): number {
    return this.consumer.lag();
  }

  status(): ConsumerStatus {
    return this.consumer.status();
  }

  /** Healthy unless its writes keep failing (InfluxDB unreachable): it then catches up once they go through. */
  health(): PartHealth {
    return this.consumer.health();
  }

  async start(): Promise<void> {
    this.consumer.start();
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  caughtUp(): Promise<void> {
    return this.consumer.caughtUp();
  }
}
