import type { Membership, PanelDraw } from '@parcours/contracts';
import { derivedSeed, nearestTwin, seededRandom } from '@parcours/sampling';
import { allocateCells, type DrawnMember, placedInCells } from './draw.js';
import { levelOf } from './margins.js';
import { refreshTargets } from './refresh-targets.js';
import type { LeaveReason } from './panel-store.js';
import { panelVariables } from './representativeness.js';
import { rotationGroupOf } from './rotation.js';
import type { UniverseMember } from './universe.js';

export interface RefreshInput {
  definition: PanelDraw;
  /** The universe now (the opted-out already out of it), sorted by id. */
  universe: readonly UniverseMember[];
  /** Memberships running at the refresh's date. */
  current: readonly Membership[];
  /** Memberships that ended since they were last looked at (an opt-out, an edit): their places are filled. */
  departed: readonly Membership[];
  /** Who may not join: their membership of this panel ended less than the cooldown ago. */
  coolingDown: ReadonlySet<string>;
  /** Current members who stopped using their devices. */
  inactive: ReadonlySet<string>;
  rotateGroup: number | null;
  seed: number;
}

export interface RefreshPlan {
  leave: { membership: Membership; reason: LeaveReason }[];
  join: DrawnMember[];
  shortfall: { stratum: string; missing: number }[];
}

/**
 * What a refresh changes. Members leave when inactive, rotated out or no longer in the universe. A
 * stratified panel is then brought back to the quotas of the universe as it is now, moving as few members
 * as possible (`refreshTargets`): a cell short of its target recruits, first the nearest twin (on usage) of
 * each member who left it, then at random; a cell over it lets its surplus go. A balanced
 * panel replaces each leaver by their nearest twin over the balancing attributes and usage.
 */
export function planRefresh(input: RefreshInput): RefreshPlan {
  const { definition, universe } = input;
  const byId = new Map(universe.map((m) => [m.id, m]));
  const leave: RefreshPlan['leave'] = [];
  for (const m of input.current) {
    if (!byId.has(m.individualId)) leave.push({ membership: m, reason: 'left_universe' });
    else if (input.inactive.has(m.individualId)) leave.push({ membership: m, reason: 'inactive' });
    else if (input.rotateGroup !== null && m.draw?.rotationGroup === input.rotateGroup) leave.push({ membership: m, reason: 'rotated' });
  }
  const leaving = new Set(leave.map((l) => l.membership.individualId));
  const staying = input.current.filter((m) => !leaving.has(m.individualId));
  const gone = [...leave.map((l) => l.membership), ...input.departed];
  const unavailable = new Set([...input.current.map((m) => m.individualId), ...input.departed.map((m) => m.individualId), ...input.coolingDown]);
  const random = seededRandom(derivedSeed(input.seed, 'refresh'));
  const groupOf = (id: string) => rotationGroupOf(id, definition.seed, definition.rotationGroups);
  const features = usageFeatures(universe);
  const twinOf = (target: UniverseMember, cell: string, candidates: readonly UniverseMember[]): UniverseMember | undefined => {
    const asCandidate = (m: UniverseMember) => ({ id: m.id, cell, features: m.usage });
    const twin = nearestTwin(candidates.map(asCandidate), asCandidate(target), features);
    return twin && candidates.find((c) => c.id === twin.id);
  };

  const design = definition.design;
  if (design.method === 'balanced') {
    const p = universe.length === 0 ? 0 : Math.min(1, definition.size / universe.length);
    // A twin shares the leaver's levels of the balancing attributes where anyone still can, and is nearest on usage.
    const attributes = panelVariables(definition);
    const levelsKey = (m: UniverseMember) => attributes.map((a) => levelOf(m, a)).join('|');
    const candidates = universe.filter((m) => !unavailable.has(m.id));
    const join: DrawnMember[] = [];
    for (const m of gone) {
      if (candidates.length === 0) break;
      const target = byId.get(m.individualId);
      const alike = target ? candidates.filter((c) => levelsKey(c) === levelsKey(target)) : [];
      const twin = target && alike.length > 0 ? twinOf(target, '', alike) : candidates[Math.floor(random() * candidates.length)];
      if (!twin) break;
      candidates.splice(candidates.indexOf(twin), 1);
      join.push({ individualId: twin.id, draw: { inclusionProbability: p, stratum: null, rotationGroup: m.draw?.rotationGroup ?? groupOf(twin.id) } });
    }
    const missing = gone.length - join.length;
    return { leave, join, shortfall: missing > 0 ? [{ stratum: '(all)', missing }] : [] };
  }

  const placed = placedInCells(universe, design.strata);
  const { allocation, cells } = allocateCells(placed, design.strata, definition.size, design.allocation);
  const cellOf = new Map(placed.map((p) => [p.member.id, p.stratum]));
  const stayingByCell = groupBy(staying, (m) => cellOf.get(m.individualId) ?? m.draw?.stratum ?? '');
  const goneByCell = groupBy(gone, (m) => cellOf.get(m.individualId) ?? m.draw?.stratum ?? '');
  const candidatesByCell = groupBy(
    placed.filter((p) => !unavailable.has(p.member.id)),
    (p) => p.stratum,
  );
  const given = allocation.mode === 'given';
  const targets = refreshTargets(
    allocation.cells.map((c) => ({
      key: c.key,
      levels: c.levels,
      quota: given ? c.allocated : c.quota,
      lo: given ? c.allocated : Math.min(c.size, Math.floor(c.quota)),
      hi: given ? c.allocated : Math.min(c.size, Math.ceil(c.quota)),
    })),
    new Map([...stayingByCell].map(([key, members]) => [key, members.length])),
    definition.size,
  );
  const join: DrawnMember[] = [];
  const shortfall: RefreshPlan['shortfall'] = [];
  for (const cell of cells) {
    const target = targets.get(cell.stratum) ?? 0;
    const members = stayingByCell.get(cell.stratum) ?? [];
    if (members.length > target) {
      for (const m of shuffled(members, random).slice(target)) leave.push({ membership: m, reason: 'rebalanced' });
      continue;
    }
    let missing = target - members.length;
    if (missing === 0) continue;
    const candidates = (candidatesByCell.get(cell.stratum) ?? []).map((p) => p.member);
    const inclusionProbability = Math.min(1, target / cell.universe);
    const take = (twin: UniverseMember, group: number) => {
      candidates.splice(candidates.indexOf(twin), 1);
      join.push({ individualId: twin.id, draw: { inclusionProbability, stratum: cell.stratum, rotationGroup: group } });
      missing -= 1;
    };
    for (const m of goneByCell.get(cell.stratum) ?? []) {
      const target = byId.get(m.individualId);
      const twin = missing > 0 && target ? twinOf(target, cell.stratum, candidates) : undefined;
      if (twin) take(twin, m.draw?.rotationGroup ?? groupOf(twin.id));
    }
    for (const twin of shuffled(candidates, random).slice(0, Math.max(0, missing))) take(twin, groupOf(twin.id));
    if (missing > 0) shortfall.push({ stratum: cell.stratum, missing });
  }
  return { leave, join, shortfall };
}

/** The usage measures members are compared on when looking for a twin. */
function usageFeatures(universe: readonly UniverseMember[]): string[] {
  const keys = new Set<string>();
  for (const m of universe) for (const key of Object.keys(m.usage)) keys.add(key);
  return [...keys].sort();
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** A Fisher–Yates shuffle of a copy, from the seeded generator. */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
