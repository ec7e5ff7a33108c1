import { type Membership, panelDrawSchema } from '@parcours/contracts';
import { seededRandom } from '@parcours/sampling';
import { describe, expect, it } from 'vitest';
import { type DrawnMember, drawPanel, stratumOf } from '../src/draw.js';
import { margins } from '../src/margins.js';
import { planRefresh } from '../src/refresh.js';
import type { UniverseMember } from '../src/universe.js';

const regions = ['11', '24', '27', '28', '32', '44', '52', '53', '75', '76', '84', '93', '94'];
const households = ['1', '2', '3', '4', '5'];
const ageBands = ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'];
const strata = ['region', 'household_size', 'age_band'];
const at = Date.UTC(2026, 5, 1);
const day = 86_400_000;

/** A customer base of `size` over 13 × 5 × 6 cells of very unequal sizes, from a seed: the test's own data. */
function universeOf(size: number, seed: number): UniverseMember[] {
  const random = seededRandom(seed);
  const weights = (n: number) => Array.from({ length: n }, () => 0.2 + random() ** 2 * 3);
  const [w1, w2, w3] = [weights(regions.length), weights(households.length), weights(ageBands.length)];
  const pick = (levels: string[], w: number[]) => {
    let r = random() * w.reduce((a, b) => a + b, 0);
    for (let i = 0; i < levels.length; i++) if ((r -= w[i]!) < 0) return levels[i]!;
    return levels[levels.length - 1]!;
  };
  return Array.from({ length: size }, (_, i) => ({
    id: `c${String(i).padStart(6, '0')}`,
    attributes: { region: pick(regions, w1), household_size: pick(households, w2), age_band: pick(ageBands, w3) },
    usage: { 'coffee_machine@30d': Math.floor(random() * 31) },
  }));
}

/** A drawn member's membership of the panel from the draw's date, open or ended. */
const membershipOf = (m: DrawnMember, validTo: number | null): Membership => ({
  id: `m-${m.individualId}`,
  individualId: m.individualId,
  collectiveId: 'p',
  role: null,
  validFrom: at,
  validTo,
  draw: m.draw,
});

const request = (seed: number) => panelDrawSchema.parse({ name: 'Base', size: 10_000, seed, rotationGroups: 4, design: { method: 'stratified', strata } });

describe('a stratified draw of 10,000 from 300,000 over 13 régions × 5 household sizes × 6 age bands', () => {
  const universe = universeOf(300_000, 17);
  const { plan, members } = drawPanel(universe, request(5), at);

  it('fills every interlocked cell within ±1 of its proportional quota', () => {
    expect(plan.cells).toHaveLength(390);
    expect(members).toHaveLength(10_000);
    const drawnPerCell = new Map<string, number>();
    for (const m of members) drawnPerCell.set(m.draw.stratum!, (drawnPerCell.get(m.draw.stratum!) ?? 0) + 1);
    for (const cell of plan.cells) {
      const proportional = (10_000 * cell.universe) / universe.length;
      expect(Math.abs((drawnPerCell.get(cell.stratum) ?? 0) - proportional)).toBeLessThan(1);
    }
  });

  it('lands every margin within ±0.1 point of the universe', () => {
    const chosen = new Set(members.map((m) => m.individualId));
    const rows = margins(universe, (id) => chosen.has(id), strata);
    expect(rows).toHaveLength(13 + 5 + 6);
    for (const row of rows) expect(Math.abs(row.differencePoints)).toBeLessThanOrEqual(0.1);
  });

  it('gives each member the probability of its cell, and spreads rotation groups evenly', () => {
    const byCell = new Map(plan.cells.map((c) => [c.stratum, c]));
    for (const m of members.slice(0, 500)) {
      const cell = byCell.get(m.draw.stratum!)!;
      expect(m.draw.inclusionProbability).toBeCloseTo(cell.quota / cell.universe, 12);
      expect(m.draw.stratum).toBe(stratumOf(universe[Number(m.individualId.slice(1))]!, strata));
    }
    const groups = [0, 1, 2, 3].map((g) => members.filter((m) => m.draw.rotationGroup === g).length);
    for (const size of groups) expect(Math.abs(size - 2_500)).toBeLessThan(4 * Math.sqrt(2_500));
  });

  it('draws the same people from the same seed, whatever the order of the universe, and others from another seed', () => {
    const again = drawPanel([...universe].reverse(), request(5), at).members.map((m) => m.individualId);
    expect(again.sort()).toEqual(members.map((m) => m.individualId).sort());
    const other = new Set(drawPanel(universe, request(6), at).members.map((m) => m.individualId));
    expect(members.filter((m) => other.has(m.individualId)).length).toBeLessThan(2_000);
  });

  it('replaces a few leavers by as many joiners in their cells, and rounding alone makes nobody leave', () => {
    const leavers = members.slice(0, 3);
    const gone = new Set(leavers.map((m) => m.individualId));
    const plan = planRefresh({
      definition: request(5),
      universe: universe.filter((u) => !gone.has(u.id)),
      current: members.filter((m) => !gone.has(m.individualId)).map((m) => membershipOf(m, null)),
      departed: leavers.map((m) => membershipOf(m, at + day)),
      coolingDown: new Set(),
      inactive: new Set(),
      rotateGroup: null,
      seed: 1,
    });
    expect(plan.leave).toEqual([]);
    expect(plan.join.map((j) => j.draw.stratum).sort()).toEqual(leavers.map((m) => m.draw.stratum).sort());
  });

  it('after 12% attrition concentrated in one cell, a refresh brings every margin back within ±0.1 point, with no cooldown or opt-out broken', () => {
    // 12% of the panel opts out, all of it among the 18–24s of Île-de-France first, then the rest of that région.
    const byId = new Map(universe.map((u) => [u.id, u]));
    const inRegion = (id: string) => byId.get(id)!.attributes.region === '11';
    const young = (id: string) => byId.get(id)!.attributes.age_band === '18-24';
    const ranked = [...members].sort((a, b) => Number(young(b.individualId)) - Number(young(a.individualId)) || a.individualId.localeCompare(b.individualId));
    const optingOut = ranked.filter((m) => inRegion(m.individualId)).slice(0, 1_200);
    expect(optingOut).toHaveLength(1_200);
    const optedOut = new Set(optingOut.map((m) => m.individualId));
    const leftAt = at + 10 * day;
    // Earlier members who left a month ago are cooling down; opting out takes people out of the universe.
    const drawn = new Set(members.map((m) => m.individualId));
    const coolingDown = new Set(universe.filter((u, i) => i % 97 === 0 && !drawn.has(u.id)).map((u) => u.id));
    const now = universe.filter((u) => !optedOut.has(u.id));
    const definition = request(5);
    const plan = planRefresh({
      definition,
      universe: now,
      current: members.filter((m) => !optedOut.has(m.individualId)).map((m) => membershipOf(m, null)),
      departed: optingOut.map((m) => membershipOf(m, leftAt)),
      coolingDown,
      inactive: new Set(),
      rotateGroup: null,
      seed: 3,
    });
    expect(plan.shortfall).toEqual([]);
    for (const j of plan.join) {
      expect(optedOut.has(j.individualId)).toBe(false);
      expect(coolingDown.has(j.individualId)).toBe(false);
    }
    const leaving = new Set(plan.leave.map((l) => l.membership.individualId));
    const panel = new Set([
      ...members.map((m) => m.individualId).filter((id) => !optedOut.has(id) && !leaving.has(id)),
      ...plan.join.map((j) => j.individualId),
    ]);
    expect(panel.size).toBe(10_000);
    const before = margins(now, (id) => drawn.has(id) && !optedOut.has(id), strata);
    expect(Math.max(...before.map((r) => Math.abs(r.differencePoints)))).toBeGreaterThan(1);
    for (const row of margins(now, (id) => panel.has(id), strata)) expect(Math.abs(row.differencePoints)).toBeLessThanOrEqual(0.1);
  });
});
