/** InfluxDB measurement and tag names (docs/design.md, "InfluxDB measurements"); snake_case is InfluxDB's. */
export const measurements = {
  telemetry: 'telemetry',
  usageEvent: 'usage_event',
  usageSession: 'usage_session',
  journey: 'journey',
  transition: 'transition',
  activity: 'activity',
  usageShare: 'usage_share',
  funnel: 'funnel',
  retention: 'retention',
  lifecycle: 'lifecycle',
  /** Sessions per UTC hour, subject type and device type, tagged with `weekday` and `hour`: InfluxQL cannot group by the hour of the day. */
  usageHour: 'usage_hour',
  pipeline: 'pipeline',
  /** A panel's size, margin gap, R-indicator and churn, at each draw, refresh and hour (tagged `panel`). */
  panelHealth: 'panel_health',
  /** A weighting scheme's stored run: its report's figures (tagged `scheme`, `version`, `method`), at the run's time. */
  weighting: 'weighting',
  /** A stored run's margin cells, target against before and after (tagged also `variable` and `level`). */
  weightingMargin: 'weighting_margin',
  /** A stored run's weights, counted per bucket of weight ÷ mean weight (tagged also `bucket`). */
  weightingWeights: 'weighting_weights',
  /**
   * A scheme's weighted activity per UTC day and device type (`all` for any device), tagged with the scheme and version
   * whose weights it used: the population's active share with its interval, active people and sessions, beside the sample's share.
   */
  weightedActivity: 'weighted_activity',
  /**
   * A survey's prompt at each stage, one point each with `count` 1 (tagged `survey`, `version`, `stage`, `decision`,
   * `device_type`): `decided` at its decision, then `shown`, `answered` or `dismissed` when they happen.
   */
  surveyPrompt: 'survey_prompt',
  /**
   * An answer to one question, at the answer's time (tagged `survey`, `version`, `question`, and `choice` for choice
   * questions: one point per choice picked): `count` 1, `score` and `nps_class` (+1, 0, −1) of scores, `answered_after_s`.
   */
  surveyAnswer: 'survey_answer',
} as const;

export const tags = {
  device: 'device',
  deviceType: 'device_type',
  subject: 'subject',
  subjectType: 'subject_type',
  actor: 'actor',
  fromType: 'from_type',
  toType: 'to_type',
  /** `activity`: `day` or `week`, as distinct counts of a week are not the sum of its days'. */
  period: 'period',
  /** `usage_share`: where the actor comes from (`reported`, `inferred`, `none`). */
  source: 'source',
  /** `funnel`: the funnel's name, its step's number (1 = the entry) and the step's device or event type. */
  funnel: 'funnel',
  step: 'step',
  stepType: 'step_type',
  /** `retention`, `lifecycle`: which subjects (`individual`, `collective`). */
  kind: 'kind',
  /** `retention`: the cohort's week (its Monday, `YYYY-MM-DD`) and how many weeks after it the point's week is. */
  cohort: 'cohort',
  weekOffset: 'week_offset',
  /** `lifecycle`: `new`, `returning`, `resurrecting` or `dormant`. */
  status: 'status',
  /** `usage_hour`: ISO day of the week (`1` Monday … `7`) and hour of the day (`00`…`23`), both UTC. */
  weekday: 'weekday',
  hour: 'hour',
  /** `pipeline`, `stage=quarantine`: the quarantine reason code (a stable error code, so few values). */
  reason: 'reason',
  /** `weighting…`, `weighted_activity`: the scheme's id, the version run (`1`, `2`, …) and its method (`rake`, `linear`, `raking`, `logit`). */
  scheme: 'scheme',
  version: 'version',
  method: 'method',
  /** `weighting_margin`: the margin's variables and the cell's levels, each joined by `×` (`age_band×region`, `25-34×84`). */
  variable: 'variable',
  level: 'level',
  /** `weighting_weights`: the bucket of weight ÷ mean weight, labelled so that labels sort as buckets do (`0.00–0.25` … `4.00+`). */
  bucket: 'bucket',
  /** `survey_prompt`, `survey_answer`: the survey's id (its `version` in the tag above). */
  survey: 'survey',
  /** `survey_prompt`: `decided`, `shown`, `answered` or `dismissed`; and the decision (`sent`, `sampled_out`, …). */
  stage: 'stage',
  decision: 'decision',
  /** `survey_answer`: the question's id, and for choice questions the choice's. */
  question: 'question',
  choice: 'choice',
} as const;

/** Tag value written where a tag has no value (an unassigned device), so that series stay queryable. */
export const noneTag = 'none';

/** Tag value of a point over every value of the tag: `weighted_activity`'s `device_type` over any device. */
export const allTag = 'all';
