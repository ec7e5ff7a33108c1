import type { WeightedRetention } from '@parcours/contracts';
import { weekStart } from '../calendar.js';
import { lifecycleStatus, type RetentionRange, type SubjectActivity } from '../retention/weekly-retention.js';
import type { WeightedFigures } from './weighted-figures.js';

/**
 * Weekly retention and lifecycle for the population: each cohort's size and people active each week after, with
 * their share of the cohort, and each week's new, returning, resurrecting and dormant people. `activity` holds
 * the members with some activity in the weeks read (the others count 0 everywhere).
 */
export function weightedRetention(activity: ReadonlyMap<string, SubjectActivity>, range: RetentionRange, figures: WeightedFigures): WeightedRetention {
  const members = [...activity].flatMap(([id, a]) => {
    const k = figures.position(id);
    return k === undefined ? [] : [{ k, ...a }];
  });
  const cohorts: WeightedRetention['cohorts'] = [];
  const lifecycle: WeightedRetention['lifecycle'] = [];
  for (let week = range.firstWeek; week <= range.lastWeek; week++) {
    const cohort = members.filter((m) => m.first === week);
    if (cohort.length > 0) {
      const size = figures.zeros();
      for (const m of cohort) size[m.k] = 1;
      cohorts.push({
        week: weekStart(week),
        size: figures.total(size),
        retained: Array.from({ length: range.weeks + 1 }, (_, offset) => {
          const active = figures.zeros();
          for (const m of cohort) if (m.active.has(week + offset)) active[m.k] = 1;
          return { weekOffset: offset, week: weekStart(week + offset), active: figures.total(active), share: figures.share(active, size) };
        }),
      });
    }
    const statuses = { new: figures.zeros(), returning: figures.zeros(), resurrecting: figures.zeros(), dormant: figures.zeros() };
    for (const m of members) {
      const status = lifecycleStatus(m, week);
      if (status) statuses[status][m.k] = 1;
    }
    lifecycle.push({
      week: weekStart(week),
      new: figures.total(statuses.new),
      returning: figures.total(statuses.returning),
      resurrecting: figures.total(statuses.resurrecting),
      dormant: figures.total(statuses.dormant),
    });
  }
  return { cohorts, lifecycle };
}
