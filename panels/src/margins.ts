import type { DrawPlan } from '@parcours/contracts';
import { compareMargins, type LevelCount } from '@parcours/sampling';
import type { UniverseMember } from './universe.js';

export type Margin = DrawPlan['expectedMargins'][number];

/** A member's level of a variable as text; `(none)` where the member has no value. */
export const levelOf = (member: UniverseMember, variable: string): string => {
  const value = member.attributes[variable];
  return value === undefined ? '(none)' : String(value);
};

/** Members counted by their levels of the variables: one count per combination met (a few hundred cells for a universe of 300,000). */
function levelCounts(members: readonly UniverseMember[], variables: readonly string[]): LevelCount[] {
  const byLevels = new Map<string, LevelCount>();
  for (const m of members) {
    const levels = variables.map((v) => levelOf(m, v));
    const key = levels.join('\u0000');
    const counted = byLevels.get(key);
    if (counted) counted.count++;
    else byLevels.set(key, { levels: Object.fromEntries(variables.map((v, i) => [v, levels[i]!])), count: 1 });
  }
  return [...byLevels.values()];
}

/** The panel's margins against the universe's, for each level of each variable (variables in the order given, levels in text order). */
export function margins(universe: readonly UniverseMember[], inPanel: (id: string) => boolean, variables: readonly string[]): Margin[] {
  const panel = universe.filter((m) => inPanel(m.id));
  const rank = (variable: string) => variables.indexOf(variable);
  const rows = compareMargins(levelCounts(universe, variables), levelCounts(panel, variables));
  rows.sort((x, y) => rank(x.variable) - rank(y.variable) || x.level.localeCompare(y.level, 'en', { numeric: true }));
  return rows.map((m) => ({
    variable: m.variable,
    level: m.level,
    universeCount: m.universeCount,
    panelCount: m.sampleCount,
    universeShare: m.universeShare,
    panelShare: m.sampleShare,
    differencePoints: m.differencePoints,
  }));
}
