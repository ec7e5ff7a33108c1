/** InfluxDB measurement and tag names (DESIGN.md, "InfluxDB measurements"); snake_case is InfluxDB's. */
export const measurements = {
  telemetry: 'telemetry',
  usageEvent: 'usage_event',
  usageSession: 'usage_session',
  journey: 'journey',
  transition: 'transition',
  activity: 'activity',
  pipeline: 'pipeline',
} as const;

export const tags = {
  device: 'device',
  deviceType: 'device_type',
  subject: 'subject',
  subjectType: 'subject_type',
  actor: 'actor',
} as const;

/** Tag value written where a tag has no value (an unassigned device), so that series stay queryable. */
export const noneTag = 'none';
