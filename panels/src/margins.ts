import type { DrawPlan } from '@parcours/contracts';
import { compareMargins, type LevelCount } from '@parcours/sampling';
import type { UniverseMember } from './universe.js';

export type Margin = DrawPlan['expectedMargins'][number];

/** A member's level of a variable as text; `(none)` where the member has no value. */
export const levelOf = (member: UniverseMember, variable: string): string => {
  const value = member.attributes[variable];
  return value === undefined ? '(none)' : String(value);
};

/** The panel's margins against the universe's, for each level of each variable (variables in the order given, levels in text order). */
export function margins(universe: readonly UniverseMember[], inPanel: (id: string) => boolean, variables: readonly string[]): Margin[] {
  const counts = (members: readonly UniverseMember[]): LevelCount[] =>
    members.map((m) => ({ levels: Object.fromEntries(variables.map((v) => [v, levelOf(m, v)])), count: 1 }));
  const rank = (variable: string) => variables.indexOf(variable);
  const rows = compareMargins(counts(universe), counts(universe.filter((m) => inPanel(m.id))));
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
