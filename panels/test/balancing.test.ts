import { describe, expect, it } from 'vitest';
import { balancingColumns } from '../src/balancing.js';
import type { UniverseMember } from '../src/universe.js';

const member = (id: string, region: string | undefined, days: number): UniverseMember => ({
  id,
  attributes: region === undefined ? {} : { region },
  usage: { 'coffee_machine@30d': days },
});
const universe = [member('a', '84', 3), member('b', '11', 0), member('c', '84', 7), member('d', undefined, 1), member('e', '93', 2)];

describe("the cube method's balancing columns", () => {
  it('gives each level of an attribute, in sorted order, a column holding π for its members and 0 for the others', () => {
    const { pi, columns, variables } = balancingColumns(universe, [{ attribute: 'region' }], 2);
    expect(variables).toEqual(['region']);
    expect([...pi]).toEqual(Array(5).fill(0.4));
    const levels = ['(none)', '11', '84', '93'];
    expect(columns).toHaveLength(levels.length);
    universe.forEach((m, k) => {
      const level = m.attributes.region === undefined ? '(none)' : String(m.attributes.region);
      expect(columns.map((column) => column[k])).toEqual(levels.map((l) => (l === level ? 0.4 : 0)));
    });
  });

  it('writes a usage measure as π times the days active, and balances on π itself without an attribute', () => {
    const { columns } = balancingColumns(universe, [{ usage: 'coffee_machine', activeWithin: 30 * 86_400_000 }], 2);
    expect(columns.map((column) => [...column])).toEqual([Array(5).fill(0.4), universe.map((m) => 0.4 * m.usage['coffee_machine@30d']!)]);
  });
});
