import type { Membership, PanelDraw, Representativeness } from '@parcours/contracts';
import { independentColumns, logisticRegression, rIndicator } from '@parcours/sampling';
import { allocateCells, placedInCells } from './draw.js';
import { levelOf, margins } from './margins.js';
import type { PanelEvent } from './panel-store.js';
import type { UniverseMember } from './universe.js';

export const churnWindowMs = 30 * 86_400_000;

/** The variables a panel is judged on: its strata, or its balancing attributes. */
export function panelVariables(definition: PanelDraw): string[] {
  const design = definition.design;
  return design.method === 'stratified' ? [...design.strata] : design.balanceOn.flatMap((v) => ('attribute' in v ? [v.attribute] : []));
}

/**
 * How well the panel stands for its universe at `at`: each margin against the universe's, the
 * R-indicator of the propensity of being a member given those variables, churn over the last 30 days,
 * and for a stratified panel each cell's members against its quota now.
 */
export function representativeness(args: {
  panelId: string;
  at: number;
  definition: PanelDraw;
  universe: readonly UniverseMember[];
  current: readonly Membership[];
  events: readonly PanelEvent[];
  membersAtWindowStart: number;
}): Representativeness {
  const { definition, universe, at } = args;
  const memberIds = new Set(args.current.map((m) => m.individualId));
  const variables = panelVariables(definition);
  const rows = margins(universe, (id) => memberIds.has(id), variables);
  const left = args.events.filter((e) => e.action === 'left').length;
  const joined = args.events.filter((e) => e.action !== 'left').length;
  return {
    panelId: args.panelId,
    at,
    size: memberIds.size,
    universeSize: universe.length,
    margins: rows,
    maxDifferencePoints: rows.reduce((max, r) => Math.max(max, Math.abs(r.differencePoints)), 0),
    rIndicator: membershipRIndicator(universe, memberIds, variables),
    churn: { window: '30d', left, joined, rate: args.membersAtWindowStart === 0 ? 0 : left / args.membersAtWindowStart },
    cells: cellsOf(definition, universe, args.current),
  };
}

/**
 * R = 1 − 2·S(ρ̂), ρ̂ the fitted propensity of being a member among the universe given the variables'
 * levels (one indicator per level but the first; an indicator aliased with others, such as the levels
 * "no value" of two variables that the same people lack, is left out as R's `glm` leaves it). Null when there is nothing to estimate (an empty
 * universe or panel) or the fit does not converge. A level that separates members from the rest (none of
 * its people in the panel) still gives meaningful propensities, hence an indicator.
 */
function membershipRIndicator(universe: readonly UniverseMember[], memberIds: ReadonlySet<string>, variables: readonly string[]): number | null {
  if (universe.length === 0 || memberIds.size === 0 || memberIds.size === universe.length) return null;
  const columns: Float64Array[] = [];
  for (const variable of variables) {
    const levels = [...new Set(universe.map((m) => levelOf(m, variable)))].sort().slice(1);
    for (const level of levels) columns.push(Float64Array.from(universe, (m) => (levelOf(m, variable) === level ? 1 : 0)));
  }
  const y = Float64Array.from(universe, (m) => (memberIds.has(m.id) ? 1 : 0));
  const fit = logisticRegression(
    independentColumns(columns).map((j) => columns[j]!),
    y,
  );
  return fit.converged ? rIndicator(fit.fitted) : null;
}

function cellsOf(definition: PanelDraw, universe: readonly UniverseMember[], current: readonly Membership[]): Representativeness['cells'] {
  const design = definition.design;
  if (design.method !== 'stratified') return [];
  const placed = placedInCells(universe, design.strata);
  const { quotas, cells } = allocateCells(placed, design.strata, definition.size, design.allocation);
  const cellOf = new Map(placed.map((p) => [p.member.id, p.stratum]));
  const counts = new Map<string, number>();
  for (const m of current) {
    const cell = cellOf.get(m.individualId) ?? m.draw?.stratum ?? '(none)';
    counts.set(cell, (counts.get(cell) ?? 0) + 1);
  }
  return cells.map((c) => ({ stratum: c.stratum, members: counts.get(c.stratum) ?? 0, quota: quotas.get(c.stratum) ?? 0 }));
}
