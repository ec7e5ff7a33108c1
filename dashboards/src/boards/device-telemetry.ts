import * as common from '@grafana/grafana-foundation-sdk/common';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { anyOfTag, lastValue, parcoursDashboard, seriesQuery, tableQuery, tagValues } from './parcours.js';
import { merge } from '../transformations.js';
import { influxdb } from '../influxql.js';

/** The "Device telemetry" dashboard, json/device-telemetry.json. */
export function deviceTelemetry(): Dashboard {
  return parcoursDashboard('device-telemetry', 'Device telemetry', {
    description: 'What the devices measure, per device and device type (measurement `telemetry`).',
    from: 'now-24h',
    refresh: '1m',
  })
    .withVariable(anyOfTag('device_type', 'Device type', tagValues('telemetry', 'device_type')))
    .withVariable(anyOfTag('device', 'Device', tagValues('telemetry', 'device', 'device_type')))
    .withVariable(anyOfTag('subject_type', 'Subject type', tagValues('telemetry', 'subject_type')))
    .withVariable(anyOfTag('subject', 'Subject', tagValues('telemetry', 'subject', 'subject_type')))
    .withPanel(
      new stat.PanelBuilder()
        .id(1)
        .title('Devices reporting')
        .description('Devices that sent telemetry in the time range.')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 0, w: 6, h: 5 })
        .withTarget(
          seriesQuery(
            'SELECT count("seq") FROM (SELECT last("seq") AS "seq" FROM "telemetry" WHERE $timeFilter AND "device_type" =~ /^$device_type$/ AND "device" =~ /^$device$/ AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/ GROUP BY "device")',
          ),
        )
        .reduceOptions(lastValue())
        .colorMode(common.BigValueColorMode.Value)
        .graphMode(common.BigValueGraphMode.None),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(2)
        .title('Telemetry messages by device type')
        .description('Stored telemetry messages per interval: a type that goes quiet shows here first.')
        .datasource(influxdb)
        .gridPos({ x: 6, y: 0, w: 18, h: 5 })
        .withTarget(
          seriesQuery(
            'SELECT count("seq") FROM "telemetry" WHERE $timeFilter AND "device_type" =~ /^$device_type$/ AND "device" =~ /^$device$/ AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/ GROUP BY time($__interval), "device_type" fill(0)',
            '$tag_device_type',
          ),
        ),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(3)
        .title('Power (W) by device')
        .description('Mean electrical power per device and interval.')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 5, w: 12, h: 9 })
        .withTarget(
          seriesQuery(
            'SELECT mean("power_w") FROM "telemetry" WHERE $timeFilter AND "device_type" =~ /^$device_type$/ AND "device" =~ /^$device$/ AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/ GROUP BY time($__interval), "device" fill(none)',
            '$tag_device',
          ),
        )
        .unit(units.Watt),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(4)
        .title('Temperature (°C) by device')
        .description('Mean room temperature per thermostat and interval.')
        .datasource(influxdb)
        .gridPos({ x: 12, y: 5, w: 12, h: 9 })
        .withTarget(
          seriesQuery(
            'SELECT mean("temperature_c") FROM "telemetry" WHERE $timeFilter AND "device_type" =~ /^$device_type$/ AND "device" =~ /^$device$/ AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/ GROUP BY time($__interval), "device" fill(none)',
            '$tag_device',
          ),
        )
        .unit(units.Celsius),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(5)
        .title('Battery (%) by device')
        .description('Mean battery level per device and interval.')
        .datasource(influxdb)
        .gridPos({ x: 0, y: 14, w: 12, h: 8 })
        .withTarget(
          seriesQuery(
            'SELECT mean("battery_pct") FROM "telemetry" WHERE $timeFilter AND "device_type" =~ /^$device_type$/ AND "device" =~ /^$device$/ AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/ GROUP BY time($__interval), "device" fill(none)',
            '$tag_device',
          ),
        )
        .unit(units.Percent)
        .min(0)
        .max(100),
    )
    .withPanel(
      new table.PanelBuilder()
        .id(6)
        .title('Latest values')
        .description('The last reading of every metric, per device, with the subject it is attributed to.')
        .datasource(influxdb)
        .gridPos({ x: 12, y: 14, w: 12, h: 8 })
        .withTarget(
          tableQuery(
            'SELECT last(*) FROM "telemetry" WHERE $timeFilter AND "device_type" =~ /^$device_type$/ AND "device" =~ /^$device$/ AND "subject_type" =~ /^$subject_type$/ AND "subject" =~ /^$subject$/ GROUP BY "device", "device_type", "subject"',
          ),
        )
        .transformations([merge()]),
    )
    .build();
}
