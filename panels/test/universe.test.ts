import { universeFilterSchema } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { buildUniverse, meets, type UniverseSources, usageKey } from '../src/universe.js';

const day = 86_400_000;
const at = Date.UTC(2026, 5, 1);

/** A registry of five people: attributes on the subject record, others from profiles, one opted out, two using a coffee machine. */
const sources: UniverseSources = {
  individuals: (type) =>
    (
      [
        { id: 'ana', type: 'person', attributes: { region: '11', household_size: '2' } },
        { id: 'ben', type: 'person', attributes: { region: '84' } },
        { id: 'cleo', type: 'person', attributes: {} },
        { id: 'dan', type: 'person', attributes: { region: '11', plan: null } },
        { id: 'kiosk', type: 'visitor', attributes: {} },
      ] as { id: string; type: string; attributes: Record<string, string | null> }[]
    ).filter((s) => type === null || s.type === type),
  profileAttributes: () =>
    new Map([
      ['ben', { region: '11', household_size: 4 }],
      ['cleo', { region: '93', household_size: 1 }],
    ]),
  optedOutOfPanels: () => new Set(['dan']),
  activeDays: (deviceType, within) =>
    deviceType === 'coffee_machine' && within === 30 * day
      ? new Map([
          ['ana', 12],
          ['ben', 1],
        ])
      : new Map(),
};

const ids = (filter: unknown) => buildUniverse(universeFilterSchema.parse(filter), at, sources).map((m) => m.id);

describe('a universe as of a date', () => {
  it('holds the individuals of the type, not those who opted out of panels', () => {
    expect(ids({ type: 'person' })).toEqual(['ana', 'ben', 'cleo']);
    expect(ids({})).toEqual(['ana', 'ben', 'cleo', 'kiosk']);
  });

  it('reads profile attributes over those of the subject record', () => {
    expect(ids({ type: 'person', attributes: [{ name: 'region', in: ['11'] }] })).toEqual(['ana', 'ben']);
    expect(ids({ attributes: [{ name: 'household_size', min: 2 }] })).toEqual(['ana', 'ben']);
    expect(ids({ attributes: [{ name: 'household_size', present: false }] })).toEqual(['kiosk']);
  });

  it('keeps on its members the attributes the filter reads and those asked for, profiles first, and reads no others', () => {
    const asked: (readonly string[])[] = [];
    const reading: UniverseSources = {
      ...sources,
      profileAttributes: (at, names) => {
        asked.push(names);
        return sources.profileAttributes(at, names);
      },
    };
    const members = (kept: string[]) =>
      buildUniverse(universeFilterSchema.parse({ type: 'person', attributes: [{ name: 'region', present: true }] }), at, reading, { attributes: kept }).map(
        (m) => [m.id, m.attributes],
      );
    expect(members(['household_size', 'plan'])).toEqual([
      ['ana', { region: '11', household_size: '2' }],
      ['ben', { region: '11', household_size: 4 }],
      ['cleo', { region: '93', household_size: 1 }],
    ]);
    expect(members(['plan'])).toEqual([
      ['ana', { region: '11' }],
      ['ben', { region: '11' }],
      ['cleo', { region: '93' }],
    ]);
    expect(asked).toEqual([
      ['region', 'household_size', 'plan'],
      ['region', 'plan'],
    ]);
  });

  it('filters on observed usage over a window', () => {
    expect(ids({ usage: [{ deviceType: 'coffee_machine' }] })).toEqual(['ana', 'ben']);
    expect(ids({ usage: [{ deviceType: 'coffee_machine', minActiveDays: 5 }] })).toEqual(['ana']);
    const [ana] = buildUniverse(universeFilterSchema.parse({ usage: [{ deviceType: 'coffee_machine', activeWithin: '30d' }] }), at, sources);
    expect(ana?.usage[usageKey('coffee_machine', 30 * day)]).toBe(12);
  });
});

describe('an attribute condition', () => {
  it('compares values as text for in and notIn, as numbers for min and max', () => {
    expect(meets(3, { name: 'n', in: ['3'] })).toBe(true);
    expect(meets('3', { name: 'n', in: [3] })).toBe(true);
    expect(meets('x', { name: 'n', min: 0 })).toBe(false);
    expect(meets('', { name: 'n', max: 10 })).toBe(false);
    expect(meets('7', { name: 'n', min: 5, max: 10 })).toBe(true);
  });

  it('lets someone without a value through notIn alone', () => {
    expect(meets(undefined, { name: 'n', notIn: ['a'] })).toBe(true);
    expect(meets(undefined, { name: 'n', in: ['a'] })).toBe(false);
    expect(meets('a', { name: 'n', notIn: ['a'] })).toBe(false);
  });
});
