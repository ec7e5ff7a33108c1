import type { DrawPlan, MemberDraw, PanelDraw } from '@parcours/contracts';
import { type Allocation, allocate, cubeDraw, stratifiedDraw } from '@parcours/sampling';
import { type Margin, margins } from './margins.js';
import { balancingColumns } from './balancing.js';
import { rotationGroupOf } from './rotation.js';
import type { UniverseMember } from './universe.js';

export interface DrawnMember {
  individualId: string;
  draw: MemberDraw;
}

/** A quota cell's key: each stratification attribute with its level (`region=84|age_band=25-34`). */
export const stratumOf = (member: UniverseMember, strata: readonly string[]): string | null => {
  const parts: string[] = [];
  for (const name of strata) {
    const value = member.attributes[name];
    if (value === undefined) return null;
    parts.push(`${name}=${String(value)}`);
  }
  return parts.join('|');
};

/** The members of the universe with a level of every stratification attribute, each with its cell. */
export function placedInCells(universe: readonly UniverseMember[], strata: readonly string[]): { member: UniverseMember; stratum: string }[] {
  const placed: { member: UniverseMember; stratum: string }[] = [];
  for (const member of universe) {
    const stratum = stratumOf(member, strata);
    if (stratum !== null) placed.push({ member, stratum });
  }
  return placed;
}

/**
 * Draws a panel from its universe (sorted by id, as `buildUniverse` gives it), deterministically from the
 * seed, and says what the draw did: the allocation per cell and the margins against the universe. The
 * plan alone is a dry run.
 */
export function drawPanel(universe: readonly UniverseMember[], request: PanelDraw, at: number): { plan: DrawPlan; members: DrawnMember[] } {
  const design = request.design;
  if (design.method === 'stratified') {
    const inCells = placedInCells(universe, design.strata);
    const allocation = allocateCells(inCells, design.strata, request.size, design.allocation);
    const drawn = stratifiedDraw(
      inCells.map((p) => ({ id: p.member.id, cell: p.stratum })),
      allocation.allocation,
      request.seed,
    );
    const members = drawn.map((d) => ({
      individualId: d.id,
      draw: { inclusionProbability: d.inclusionProbability, stratum: d.cell, rotationGroup: rotationGroupOf(d.id, request.seed, request.rotationGroups) },
    }));
    const chosen = new Set(members.map((m) => m.individualId));
    const eligible = inCells.map((p) => p.member);
    return {
      plan: {
        method: 'stratified',
        at,
        universeSize: universe.length,
        excluded: { noStratum: universe.length - inCells.length },
        size: members.length,
        cells: allocation.cells,
        expectedMargins: marginsOf(eligible, chosen, design.strata),
      },
      members,
    };
  }

  const { pi, columns, variables } = balancingColumns(universe, design.balanceOn, request.size);
  const selected = cubeDraw(pi, columns, request.seed);
  const members = [...selected].map((k) => {
    const id = universe[k]!.id;
    return {
      individualId: id,
      draw: { inclusionProbability: pi[k]!, stratum: null, rotationGroup: rotationGroupOf(id, request.seed, request.rotationGroups) },
    };
  });
  const chosen = new Set(members.map((m) => m.individualId));
  return {
    plan: {
      method: 'balanced',
      at,
      universeSize: universe.length,
      excluded: { noStratum: 0 },
      size: members.length,
      cells: [],
      expectedMargins: marginsOf(universe, chosen, variables),
    },
    members,
  };
}

const marginsOf = (universe: readonly UniverseMember[], chosen: ReadonlySet<string>, variables: readonly string[]): Margin[] =>
  margins(universe, (id) => chosen.has(id), variables);

/**
 * Each cell's size in the universe and its quota, proportional to the universe or given; a cell that
 * cannot give what is asked of it is refused, named with its shortfall (`QuotaShortfallError`).
 */
export function allocateCells(
  placed: readonly { stratum: string }[],
  strata: readonly string[],
  size: number,
  allocation: Extract<PanelDraw['design'], { method: 'stratified' }>['allocation'],
): { allocation: Allocation; quotas: Map<string, number>; cells: DrawPlan['cells'] } {
  const sizes = new Map<string, number>();
  for (const p of placed) sizes.set(p.stratum, (sizes.get(p.stratum) ?? 0) + 1);
  // A given quota for a cell the universe does not hold at all is refused like any other shortfall.
  if (allocation !== 'proportional') for (const key of Object.keys(allocation.given)) if (!sizes.has(key)) sizes.set(key, 0);
  const cells = [...sizes].map(([key, cellSize]) => ({ key, levels: levelsOf(key, strata), size: cellSize }));
  const result =
    allocation === 'proportional'
      ? allocate({ mode: 'proportional', n: size, cells })
      : allocate({ mode: 'given', cells: cells.map((c) => ({ ...c, given: allocation.given[c.key] ?? 0 })) });
  return {
    allocation: result,
    quotas: new Map(result.cells.map((c) => [c.key, c.allocated])),
    cells: result.cells.map((c) => ({ stratum: c.key, universe: c.size, quota: c.allocated, proportionalQuota: c.quota })),
  };
}

/** The levels a cell's key names (`region=84|age_band=25-34`), by variable. */
function levelsOf(key: string, strata: readonly string[]): Record<string, string> {
  const parts = key.split('|');
  return Object.fromEntries(strata.map((name, i) => [name, (parts[i] ?? '').slice(name.length + 1)]));
}
