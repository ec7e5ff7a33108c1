import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { anyOfTag, lastValue, parcoursDashboard, seriesQuery, tagValues } from './parcours.js';
import { influxdb } from '../influxql.js';

/** The pipeline's figures change only when written, every `influx.pipelineInterval`: drawn as steps. */
const steppedLines = (): timeseries.PanelBuilder =>
  new timeseries.PanelBuilder().drawStyle(common.GraphDrawStyle.Line).lineInterpolation(common.LineInterpolation.StepAfter).fillOpacity(10);

/** The "Fleet & pipeline" dashboard, json/fleet-pipeline.json. */
export function fleetPipeline(): Dashboard {
  return parcoursDashboard('fleet-pipeline', 'Fleet & pipeline', {
    description:
      'The platform itself: devices online and MQTT connections (`pipeline`, stage `broker`), ingest rates (stage `ingest`, counter totals turned into rates), quarantine by reason (stage `quarantine`), and how far each reader of the durable log is behind (one stage per reader). Written every `influx.pipelineInterval` (10 s by default), at wall-clock time.',
    from: 'now-6h',
    refresh: '1m',
  })
    .withVariable(anyOfTag('node', 'Node', tagValues('pipeline', 'node')))
    .withPanel(
      new stat.PanelBuilder()
        .id(1)
        .title('Devices online')
        .description('Devices whose last status message (retained, and the last will) says online, per node.')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 0, w: 4, h: 5 })
        .withTarget(
          seriesQuery(
            'SELECT last("devices_online") FROM "pipeline" WHERE $timeFilter AND "stage" = \'broker\' AND "node" =~ /^$node$/ GROUP BY "node"',
            '$tag_node',
          ),
        )
        .reduceOptions(lastValue())
        .colorMode(common.BigValueColorMode.Value)
        .graphMode(common.BigValueGraphMode.None),
    )
    .withPanel(
      new stat.PanelBuilder()
        .id(2)
        .title('MQTT connections')
        .description('Clients connected to the embedded broker, all listeners (TCP, TLS, WebSocket), per node.')
        .datasource(influxdb)
        .gridPos({ x: 4, y: 0, w: 4, h: 5 })
        .withTarget(
          seriesQuery(
            'SELECT last("connections") FROM "pipeline" WHERE $timeFilter AND "stage" = \'broker\' AND "node" =~ /^$node$/ GROUP BY "node"',
            '$tag_node',
          ),
        )
        .reduceOptions(lastValue())
        .colorMode(common.BigValueColorMode.Value)
        .graphMode(common.BigValueGraphMode.None),
    )
    .withPanel(
      steppedLines()
        .id(3)
        .title('Devices online and connections')
        .description('Both over time: a drop in devices online with connections steady points at devices, a drop of both at the network or the broker.')
        .datasource(influxdb)
        .gridPos({ x: 8, y: 0, w: 16, h: 5 })
        .withTarget(
          seriesQuery(
            'SELECT last("devices_online") AS "devices online", last("connections") AS "connections" FROM "pipeline" WHERE $timeFilter AND "stage" = \'broker\' AND "node" =~ /^$node$/ GROUP BY time($__interval), "node" fill(none)',
            '$col · $tag_node',
          ),
        ),
    )
    .withPanel(
      steppedLines()
        .id(4)
        .title('Messages/s')
        .description('Device messages received, accepted, quarantined and duplicate (already stored (device, seq)), per second.')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 5, w: 12, h: 8 })
        .withTarget(
          seriesQuery(
            'SELECT non_negative_derivative(max("received"), 1s) AS "received", non_negative_derivative(max("accepted"), 1s) AS "accepted", non_negative_derivative(max("quarantined"), 1s) AS "quarantined", non_negative_derivative(max("duplicates"), 1s) AS "duplicates" FROM "pipeline" WHERE $timeFilter AND "stage" = \'ingest\' AND "node" =~ /^$node$/ GROUP BY time($__interval), "node" fill(none)',
            '$col · $tag_node',
          ),
        )
        .unit(units.RequestsPerSecond),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(5)
        .title('Quarantined/s by reason')
        .description('Quarantined messages per second by reason code (PARCOURS_E_…): bad JSON, schema, unknown device, …')
        .datasource(influxdb)
        .gridPos({ x: 12, y: 5, w: 12, h: 8 })
        .withTarget(
          seriesQuery(
            'SELECT non_negative_derivative(max("quarantined"), 1s) FROM "pipeline" WHERE $timeFilter AND "stage" = \'quarantine\' AND "node" =~ /^$node$/ GROUP BY time($__interval), "reason" fill(none)',
            '$tag_reason',
          ),
        )
        .unit(units.RequestsPerSecond)
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(60)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
    )
    .withPanel(
      new bargauge.PanelBuilder()
        .id(6)
        .title('Quarantined by reason since start')
        .description('Messages each node quarantined per reason code since it started (the counters restart with the process).')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 13, w: 8, h: 8 })
        .withTarget(
          seriesQuery(
            'SELECT last("quarantined") FROM "pipeline" WHERE $timeFilter AND "stage" = \'quarantine\' AND "node" =~ /^$node$/ GROUP BY "reason", "node"',
            '$tag_reason · $tag_node',
          ),
        )
        .reduceOptions(lastValue())
        .orientation(common.VizOrientation.Horizontal)
        .displayMode(common.BarGaugeDisplayMode.Basic),
    )
    .withPanel(
      steppedLines()
        .id(7)
        .title('Sink lag (s)')
        .description('Age of the oldest record each reader of the durable log (InfluxDB sink, analytics) has not handled yet; 0 when caught up.')
        .datasource(influxdb)
        .gridPos({ x: 8, y: 13, w: 8, h: 8 })
        .withTarget(
          seriesQuery(
            'SELECT max("lag_s") FROM "pipeline" WHERE $timeFilter AND "node" =~ /^$node$/ GROUP BY time($__interval), "stage", "node" fill(none)',
            '$tag_stage · $tag_node',
          ),
        )
        .unit(units.Seconds),
    )
    .withPanel(
      steppedLines()
        .id(8)
        .title('Records behind, per reader')
        .description('Records of the durable log each reader has not handled yet (`log_depth` of a reader stage).')
        .datasource(influxdb)
        .gridPos({ x: 16, y: 13, w: 8, h: 8 })
        .withTarget(
          seriesQuery(
            'SELECT max("log_depth") FROM "pipeline" WHERE $timeFilter AND "stage" != \'ingest\' AND "node" =~ /^$node$/ GROUP BY time($__interval), "stage", "node" fill(none)',
            '$tag_stage · $tag_node',
          ),
        ),
    )
    .withPanel(
      steppedLines()
        .id(9)
        .title('Durable log size')
        .description('Records held in the durable log (`log_depth` of stage ingest): grows with ingest, shrinks with retention.')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 21, w: 12, h: 7 })
        .withTarget(
          seriesQuery(
            'SELECT max("log_depth") FROM "pipeline" WHERE $timeFilter AND "stage" = \'ingest\' AND "node" =~ /^$node$/ GROUP BY time($__interval), "node" fill(none)',
            '$tag_node',
          ),
        ),
    )
    .withPanel(
      steppedLines()
        .id(10)
        .title('Batch write time per reader')
        .description("How long each reader's last batch took (ms): InfluxDB slowing down shows here before lag builds up.")
        .datasource(influxdb)
        .gridPos({ x: 12, y: 21, w: 12, h: 7 })
        .withTarget(
          seriesQuery(
            'SELECT mean("write_ms") FROM "pipeline" WHERE $timeFilter AND "node" =~ /^$node$/ GROUP BY time($__interval), "stage", "node" fill(none)',
            '$tag_stage · $tag_node',
          ),
        )
        .unit(units.Milliseconds),
    )
    .build();
}
