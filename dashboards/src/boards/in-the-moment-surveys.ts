import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { measurements } from '@parcours/contracts';
import { anyOfTag, parcoursDashboard, seriesQuery, tableQuery, tagValues } from './parcours.js';
import { influxdb } from '../influxql.js';

const filter = 'WHERE $timeFilter AND "survey" =~ /^$survey$/';
const prompts = `FROM "${measurements.surveyPrompt}" ${filter}`;

/** One step of the funnel: the prompts that reached a stage in the range. */
const step = (name: string, where: string) => seriesQuery(`SELECT sum("count") AS "${name}" ${prompts} AND ${where}`, name);

/** The "In-the-moment surveys" dashboard, json/in-the-moment-surveys.json. */
export function inTheMomentSurveys(): dashboard.Dashboard {
  return parcoursDashboard('surveys', 'In-the-moment surveys', {
    description:
      "What became of the surveys' prompts and what their answers say (measurements `survey_prompt`, `survey_answer`, written as the prompt store records them): the funnel from trigger to answer, the reasons triggers were not sent, the NPS over time and the answers per question. Weighted results: `parcours surveys results --weights`.",
    from: 'now-7d',
    refresh: '1m',
  })
    .withVariable(anyOfTag('survey', 'Survey', tagValues(measurements.surveyPrompt, 'survey')))
    .withPanel(
      new bargauge.PanelBuilder()
        .id(1)
        .title('Prompt funnel')
        .description(
          'Triggers decided in the range, the prompts sent, shown (their showing recorded) and answered, each counted when it happened: a prompt decided before the range and answered in it counts as answered only.',
        )
        .datasource(influxdb)
        .gridPos({ x: 0, y: 0, w: 8, h: 9 })
        .withTarget(step('triggered', `"stage" = 'decided'`).refId('A'))
        .withTarget(step('sent', `"stage" = 'decided' AND "decision" = 'sent'`).refId('B'))
        .withTarget(step('shown', `"stage" = 'shown'`).refId('C'))
        .withTarget(step('answered', `"stage" = 'answered'`).refId('D'))
        .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['sum']).fields('').values(false))
        .orientation(common.VizOrientation.Horizontal)
        .displayMode(common.BarGaugeDisplayMode.Basic)
        .min(0),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(2)
        .title('Triggers not sent, by reason')
        .description(
          'Triggers decided without a prompt, per reason (`sampled_out`, `holdout`, `no_consent`, `capped`, `cooldown`, `quiet_hours`, `expired`, `not_started`, `ended`, `closed`): the order of the checks is in docs/surveys.md.',
        )
        .datasource(influxdb)
        .gridPos({ x: 8, y: 0, w: 16, h: 9 })
        .withTarget(
          seriesQuery(
            `SELECT sum("count") ${prompts} AND "stage" = 'decided' AND "decision" != 'sent' GROUP BY time($__interval), "decision" fill(none)`,
            '$tag_decision',
          ),
        )
        .drawStyle(common.GraphDrawStyle.Bars)
        .fillOpacity(60)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
        .min(0),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .id(3)
        .title('NPS over time')
        .description(
          "Net promoter score of the answers in each interval, per survey and NPS question: the mean of +1 per promoter (9–10), 0 per passive, −1 per detractor (0–6), × 100. The respondents' own; the population's needs weights (`parcours surveys results --weights`).",
        )
        .datasource(influxdb)
        .gridPos({ x: 0, y: 9, w: 12, h: 9 })
        .withTarget(
          seriesQuery(
            `SELECT mean("nps_class") * 100 AS "NPS" FROM "${measurements.surveyAnswer}" ${filter} GROUP BY time($__interval), "survey", "question" fill(none)`,
            '$tag_survey $tag_question',
          ),
        )
        .showPoints(common.VisibilityMode.Always)
        .min(-100)
        .max(100),
    )
    .withPanel(
      new table.PanelBuilder()
        .id(4)
        .title('Answers per question')
        .description(
          'Answers in the range per survey, question and choice (a multiple-choice answer counts once per choice picked; scores and texts have no choice), with the mean score of ratings and NPS questions and the median time from the prompt going out to its answer.',
        )
        .datasource(influxdb)
        .gridPos({ x: 12, y: 9, w: 12, h: 9 })
        .withTarget(
          tableQuery(
            `SELECT sum("count") AS "answers", mean("score") AS "mean score", median("answered_after_s") AS "median seconds to answer" FROM "${measurements.surveyAnswer}" ${filter} GROUP BY "survey", "question", "choice"`,
          ),
        ),
    )
    .build();
}
