import * as barchart from '@grafana/grafana-foundation-sdk/barchart';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { allTag, measurements } from '@parcours/contracts';
import { anyOfTag, lastValue, oneOfTag, parcoursDashboard, seriesQuery, tableQuery, tagValues } from './parcours.js';
import { groupingToMatrix, organize } from '../transformations.js';
import { influxdb } from '../influxql.js';

const filter = 'WHERE $timeFilter AND "scheme" =~ /^$scheme$/';

/** The tag values of the points of the scheme whose weighted figures are shown. */
const weightedTagValues = (key: string) => `SHOW TAG VALUES FROM "${measurements.weightedActivity}" WITH KEY = "${key}" WHERE "scheme" = '$weights'`;

/** The scheme whose weighted figures are shown, among those chosen. */
const weightsVariable = oneOfTag('weights', 'Weighted figures of', tagValues(measurements.weightedActivity, 'scheme', 'scheme'));

/** Its version: the latest, as versions are sorted latest first, unless another is chosen (earlier versions' points stay). */
const versionVariable = oneOfTag('version', 'Version', weightedTagValues('version')).sort(dashboard.VariableSort.NumericalDesc);

/** One device type, or `all`: any device. */
const deviceTypeVariable = oneOfTag('device_type', 'Device type', weightedTagValues('device_type'), allTag);

/** The weighted figures of that scheme, version and device type: one series per column. */
const weighted = (columns: string) =>
  seriesQuery(
    `SELECT ${columns} FROM "${measurements.weightedActivity}" WHERE $timeFilter AND "scheme" = '$weights' AND "version" = '$version' AND "device_type" = '$device_type'`,
    '$col',
  );

/** A weighted series' colour, its interval's too. */
const colour = (fixedColor: string): dashboard.DynamicConfigValue => ({ id: 'color', value: { mode: 'fixed', fixedColor } });

/** An end of the interval: no line, out of the legend; the upper end fills down to the lower. */
const intervalEnd = (fillBelowTo?: string): dashboard.DynamicConfigValue[] => [
  colour('blue'),
  { id: 'custom.lineWidth', value: 0 },
  { id: 'custom.showPoints', value: 'never' },
  { id: 'custom.hideFrom', value: { legend: true, tooltip: false, viz: false } },
  ...(fillBelowTo
    ? [
        { id: 'custom.fillBelowTo', value: fillBelowTo },
        { id: 'custom.fillOpacity', value: 20 },
      ]
    : [{ id: 'custom.fillOpacity', value: 0 }]),
];

/** Kish's design effect: up to 1.5 mild, up to 2 notable, from 3 the weights stand in for many missing people. */
const designEffectSteps = new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
  { value: null, color: 'green' },
  { value: 1.5, color: 'yellow' },
  { value: 2, color: 'orange' },
  { value: 3, color: 'red' },
]);

/** A stat of each scheme's latest run. */
const latest = (id: number, title: string, description: string, field: string, x: number): stat.PanelBuilder =>
  new stat.PanelBuilder()
    .id(id)
    .title(title)
    .description(description)
    .datasource(influxdb)
    .gridPos({ x, y: 0, w: 6, h: 5 })
    .withTarget(seriesQuery(`SELECT last("${field}") FROM "weighting" ${filter} GROUP BY "scheme"`, '$tag_scheme'))
    .reduceOptions(lastValue())
    .graphMode(common.BigValueGraphMode.None);

/** A time series of every run (one point each, as runs are few and far between), a series per scheme and column. */
const overRuns = (id: number, title: string, query: string, gridPos: dashboard.GridPos): timeseries.PanelBuilder =>
  new timeseries.PanelBuilder()
    .id(id)
    .title(title)
    .datasource(influxdb)
    .gridPos(gridPos)
    .withTarget(seriesQuery(query, '$tag_scheme $col'))
    .showPoints(common.VisibilityMode.Always)
    .pointSize(6);

/** The "Weighting quality" dashboard, json/weighting-quality.json. */
export function weightingQuality(): dashboard.Dashboard {
  return parcoursDashboard('weighting-quality', 'Weighting quality', {
    description:
      "How much each weighting scheme's weights cost and how well they meet their margins, at every stored run (measurements `weighting`, `weighting_margin`, `weighting_weights`): design effect and effective size, the weights' spread, trimming and iterations, their distribution and every margin cell before and after; and what they make of the panel's daily activity, with its uncertainty, beside the sample's (`weighted_activity`).",
    from: 'now-90d',
    refresh: '5m',
  })
    .withVariable(anyOfTag('scheme', 'Scheme', tagValues('weighting', 'scheme')))
    .withVariable(weightsVariable)
    .withVariable(versionVariable)
    .withVariable(deviceTypeVariable)
    .withPanel(
      latest(
        1,
        'Design effect',
        "Kish's design effect of the latest run's weights, 1 + CV²: how much the weights alone inflate a mean's variance.",
        'design_effect',
        0,
      )
        .decimals(3)
        .thresholds(designEffectSteps)
        .colorMode(common.BigValueColorMode.Value),
    )
    .withPanel(
      latest(2, 'Effective sample size', 'The members weighted over the design effect: the size of a simple random sample as precise.', 'effective_size', 6)
        .decimals(1)
        .colorMode(common.BigValueColorMode.None),
    )
    .withPanel(
      latest(
        3,
        'Largest margin error',
        'The largest gap, in people, between a margin cell and its target after weighting (0 when every margin is met).',
        'largest_margin_error',
        12,
      )
        .decimals(2)
        .colorMode(common.BigValueColorMode.None),
    )
    .withPanel(
      latest(4, 'Converged', 'Whether the latest run met its convergence criterion (a run that did not was kept by `force`).', 'converged', 18)
        .mappings([
          {
            type: dashboard.MappingType.ValueToText,
            options: { '0': { text: 'no', color: 'red', index: 0 }, '1': { text: 'yes', color: 'green', index: 1 } },
          },
        ])
        .colorMode(common.BigValueColorMode.Value),
    )
    .withPanel(
      overRuns(5, 'Design effect over runs', `SELECT "design_effect" AS "design effect" FROM "weighting" ${filter} GROUP BY "scheme"`, {
        x: 0,
        y: 5,
        w: 12,
        h: 8,
      })
        .description('At every stored run: above 2 or 3, the weights stand in for many people the sample lacks.')
        .thresholds(designEffectSteps)
        .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed))
        .min(1),
    )
    .withPanel(
      overRuns(
        6,
        'Effective sample size over runs',
        `SELECT "n" AS "members", "effective_size" AS "effective size" FROM "weighting" ${filter} GROUP BY "scheme"`,
        { x: 12, y: 5, w: 12, h: 8 },
      )
        .description('The members weighted and the effective sample size, n ÷ design effect.')
        .min(0),
    )
    .withPanel(
      overRuns(
        7,
        'Smallest, mean and largest weight',
        `SELECT "min" AS "smallest", "mean" AS "mean", "max" AS "largest" FROM "weighting" ${filter} GROUP BY "scheme"`,
        { x: 0, y: 13, w: 8, h: 8 },
      ).description('Each weight is how many people of the population a member stands for.'),
    )
    .withPanel(
      overRuns(8, 'Weight CV and largest ÷ mean', `SELECT "cv" AS "CV", "max" / "mean" AS "largest ÷ mean" FROM "weighting" ${filter} GROUP BY "scheme"`, {
        x: 8,
        y: 13,
        w: 8,
        h: 8,
      })
        .description("The weights' coefficient of variation, and the largest weight as a multiple of the mean (what a scheme's cap bounds).")
        .min(0),
    )
    .withPanel(
      overRuns(9, 'Trimmed and iterations', `SELECT "trimmed" AS "trimmed", "iterations" AS "iterations" FROM "weighting" ${filter} GROUP BY "scheme"`, {
        x: 16,
        y: 13,
        w: 8,
        h: 8,
      })
        .description('Weights trimming moved to a bound, and the sweeps (rake) or Newton steps (calibration) the run took.')
        .min(0),
    )
    .withPanel(
      new barchart.PanelBuilder()
        .id(10)
        .title('Weight distribution (latest run)')
        .description(
          'The share of members whose weight, over the mean weight, falls in each bucket (a bucket holds its lower bound; the first, anything below 0.25): the same buckets for every scheme, so that schemes compare. 1 is the mean; the farther the bars spread, the larger the design effect.',
        )
        .datasource(influxdb)
        .gridPos({ x: 0, y: 21, w: 12, h: 9 })
        .withTarget(tableQuery(`SELECT last("share") AS "share" FROM "weighting_weights" ${filter} GROUP BY "scheme", "bucket"`))
        .transformations([groupingToMatrix({ rowField: 'bucket', columnField: 'scheme', valueField: 'share', emptyValue: 'zero' })])
        .unit(units.PercentUnit)
        .min(0)
        .axisLabel('members')
        .showValue(common.VisibilityMode.Auto)
        .legend(new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom)),
    )
    .withPanel(
      overRuns(11, 'Largest margin error over runs', `SELECT "largest_margin_error" AS "largest margin error" FROM "weighting" ${filter} GROUP BY "scheme"`, {
        x: 12,
        y: 21,
        w: 12,
        h: 9,
      })
        .description(
          'The largest gap, in people, between a margin cell and its target after weighting: above 0 when trimming, a cap or `force` left a margin unmet.',
        )
        .min(0),
    )
    .withPanel(
      new table.PanelBuilder()
        .id(12)
        .title('Margins: target, before and after (latest run)')
        .description(
          "Every margin cell at the latest run of each version: its target, the sample's total in it under the base weights (before) and under the final weights (after), and their gaps to the target relative to it (none where the target is 0).",
        )
        .datasource(influxdb)
        .gridPos({ x: 0, y: 30, w: 24, h: 10 })
        .withTarget(
          tableQuery(
            `SELECT last("target") AS "target", last("before") AS "before", last("after") AS "after", last("before_gap") AS "gap before", last("after_gap") AS "gap after" FROM "weighting_margin" ${filter} GROUP BY "scheme", "version", "variable", "level"`,
          ),
        )
        .transformations([organize({ excludeByName: { Time: true } })])
        .decimals(1)
        .overrideByName('gap before', [{ id: 'unit', value: units.PercentUnit }])
        .overrideByName('gap after', [{ id: 'unit', value: units.PercentUnit }]),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(13)
        .title('Weighted active share')
        .description(
          `The share of the population active each UTC day (a session of their own device, or one they used as reported actor), as the chosen scheme's weights make the sample stand for it, with its 95% interval shaded; dashed, the same share in the sample, unweighted. Device type ${allTag}: any device. The figures of GET /activity?weights=.`,
        )
        .datasource(influxdb)
        .gridPos({ x: 0, y: 40, w: 16, h: 9 })
        .withTarget(
          weighted(
            '"active_share" AS "weighted", "active_share_lower" AS "95% lower", "active_share_upper" AS "95% upper", "sample_active_share" AS "sample (unweighted)"',
          ),
        )
        .unit(units.PercentUnit)
        .decimals(1)
        .min(0)
        .showPoints(common.VisibilityMode.Always)
        .pointSize(5)
        .overrideByName('weighted', [colour('blue')])
        .overrideByName('95% lower', intervalEnd())
        .overrideByName('95% upper', intervalEnd('95% lower'))
        .overrideByName('sample (unweighted)', [colour('orange'), { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }]),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(14)
        .title('Weighted active people and sessions')
        .description(
          "The population's people active each UTC day and their sessions, as the chosen scheme's weights count them (their standard errors are the fields active_people_se and sessions_se).",
        )
        .datasource(influxdb)
        .gridPos({ x: 16, y: 40, w: 8, h: 9 })
        .withTarget(weighted('"active_people" AS "active people", "sessions" AS "sessions"'))
        .decimals(0)
        .min(0)
        .showPoints(common.VisibilityMode.Always)
        .pointSize(5),
    )
    .build();
}
