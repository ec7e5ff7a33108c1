import type { DrawPlan } from '@parcours/contracts';
import { compareMargins, type LevelCount } from '@parcours/sampling';
import type { UniverseMember } from './universe.js';

export type Margin = DrawPlan['expectedMargins'][number];

/** A member's level of a variable as text; `(none)` where the member has no value. */
export const levelOf = (member: UniverseMember, variable: string): string => {
  const value = member.attributes[variable];
  return value === undefined ? '(none)' : String(value);
};

/** The panel's margins against the universe's, for each level of each variable. */
export function margins(universe: readonly UniverseMember[], inPanel: (id: string) => boolean, variables: readonly string[]): Margin[] {
  const counts = (members: readonly UniverseMember[]): LevelCount[] =>
    members.map((m) => ({ levels: Object.fromEntries(variables.map((v) => [v, levelOf(m, v)])), count: 1 }));
  return compareMargins(counts(universe), counts(universe.filter((m) => inPanel(m.id)))).map((m) => ({
    variable: m.variable,
    level: m.level,
    universeCount: m.universeCount,
    panelCount: m.sampleCount,
    universeShare: m.universeShare,
    panelShare: m.sampleShare,
    differencePoints: m.differencePoints,
  }));
}
