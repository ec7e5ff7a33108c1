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
} as const;

/** Tag value written where a tag has no value (an unassigned device), so that series stay queryable. */
export const noneTag = 'none';
