import { measurements, tags, type RetentionResult, type SubjectKind } from '@parcours/contracts';
import type { InfluxPoint } from '@parcours/gateway';
import type { RetentionCell } from './weekly-retention.js';

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The `retention` points of one week: per cohort, how many of it were active that week, at the week's start. */
export function retentionPoints(kind: SubjectKind, week: number, cells: readonly RetentionCell[]): InfluxPoint[] {
  return cells.map((cell) => ({
    measurement: measurements.retention,
    tags: { [tags.kind]: kind, [tags.cohort]: isoDay(cell.cohort), [tags.weekOffset]: String(cell.weekOffset) },
    fields: { share: cell.active / cell.size },
    intFields: { active: cell.active, cohort_size: cell.size },
    timestampMs: week,
  }));
}

/** The `lifecycle` points of one week, one per status, at the week's start. */
export function lifecyclePoints(kind: SubjectKind, week: RetentionResult['lifecycle'][number]): InfluxPoint[] {
  return (['new', 'returning', 'resurrecting', 'dormant'] as const).map((status) => ({
    measurement: measurements.lifecycle,
    tags: { [tags.kind]: kind, [tags.status]: status },
    fields: {},
    intFields: { subjects: week[status] },
    timestampMs: week.week,
  }));
}
