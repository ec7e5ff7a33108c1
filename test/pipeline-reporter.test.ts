import { createGatewayMetrics, type ConsumerStatus, type InfluxWriter } from '@parcours/gateway';
import { pino } from 'pino';
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PipelineReporter } from '../src/pipeline-reporter.js';

const consumers: Record<string, ConsumerStatus> = { 'influx-raw': { lag: 3, lagSeconds: 1.5, lastBatchMs: 12, failing: false } };

function reporter(registry: Registry) {
  const writer = { write: async () => undefined } as unknown as InfluxWriter;
  return new PipelineReporter({ writer, registry, intervalMs: 1000, logRecords: () => 10, consumers: () => consumers, logger: pino({ level: 'silent' }) });
}

describe('PipelineReporter', () => {
  it('writes the ingest totals, the broker gauges, one point per quarantine reason and one per log reader', async () => {
    const registry = new Registry();
    const metrics = createGatewayMetrics(registry);
    metrics.received.inc({ channel: 'telemetry' }, 5);
    metrics.received.inc({ channel: 'events' }, 2);
    metrics.accepted.inc({ channel: 'telemetry' }, 4);
    metrics.quarantined.inc({ reason: 'PARCOURS_E_BAD_JSON' }, 2);
    metrics.quarantined.inc({ reason: 'PARCOURS_E_SCHEMA' });
    // As the broker and the app register them: read at collection time.
    new Gauge({
      name: 'parcours_mqtt_clients_connected',
      help: 'h',
      labelNames: ['listener'],
      registers: [registry],
      collect() {
        this.set({ listener: 'tcp' }, 3);
        this.set({ listener: 'ws' }, 1);
      },
    });
    new Gauge({
      name: 'parcours_devices_online',
      help: 'h',
      registers: [registry],
      collect() {
        this.set(2);
      },
    });

    const points = await reporter(registry).points(1_000);
    const byStage = (stage: string) => points.filter((p) => p.tags.stage === stage).map((p) => ({ tags: p.tags, fields: p.fields, intFields: p.intFields }));
    expect(points.every((p) => p.measurement === 'pipeline' && p.timestampMs === 1_000 && typeof p.tags.node === 'string')).toBe(true);
    expect(byStage('ingest')[0]!.intFields).toEqual({ received: 7, accepted: 4, quarantined: 3, duplicates: 0, late: 0, log_depth: 10 });
    expect(byStage('broker')[0]!.intFields).toEqual({ connections: 4, devices_online: 2 });
    expect(byStage('quarantine').map((p) => [p.tags.reason, p.intFields])).toEqual([
      ['PARCOURS_E_BAD_JSON', { quarantined: 2 }],
      ['PARCOURS_E_SCHEMA', { quarantined: 1 }],
    ]);
    expect(byStage('influx-raw')[0]).toMatchObject({ fields: { lag_s: 1.5, write_ms: 12 }, intFields: { log_depth: 3 } });
  });

  it('writes no broker point where no embedded broker runs, and no quarantine point before the first', async () => {
    const registry = new Registry();
    createGatewayMetrics(registry);
    const stages = (await reporter(registry).points()).map((p) => p.tags.stage);
    expect(stages).toEqual(['ingest', 'influx-raw']);
  });
});
