import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { populationBy } from '../src/population.js';
import { resolvePlace } from '../src/resolve-place.js';

/** The dataset's communes read raw, independently of the module: the reference the answers are checked against. */
interface RawCommune {
  code: string;
  nom: string;
  type: string;
  departement: string;
  region: string;
  codesPostaux?: string[];
  population?: number;
  commune?: string;
  chefLieu?: string;
}
const raw = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@etalab/decoupage-administratif/data/communes.json'), 'utf8')) as RawCommune[];
const current = raw.filter((c) => c.type === 'commune-actuelle');
const servedBy = new Map<string, RawCommune[]>();
for (const c of current) for (const postcode of c.codesPostaux ?? []) servedBy.set(postcode, [...(servedBy.get(postcode) ?? []), c]);

describe('resolvePlace', () => {
  it('resolves every postcode of the dataset to a région, and flags those that serve several communes', () => {
    let flagged = 0;
    for (const [postcode, communes] of servedBy) {
      const result = resolvePlace({ postcode });
      if (!result.ok) throw new Error(`${postcode}: ${result.message}`);
      const { place } = result;
      expect(communes.map((c) => c.region)).toContain(place.region.code);
      expect(place.region.name).not.toBe(place.region.code);
      if (communes.length === 1) {
        expect(place).toMatchObject({ commune: { code: communes[0]!.code }, ambiguity: null });
      } else {
        flagged += 1;
        expect(place.commune).toBeNull();
        expect(place.ambiguity?.communes.map((c) => c.code).sort()).toEqual(communes.map((c) => c.code).sort());
        expect(place.ambiguity?.regionCertain).toBe(new Set(communes.map((c) => c.region)).size === 1);
        expect(place.ambiguity?.departementCertain).toBe(new Set(communes.map((c) => c.departement)).size === 1);
      }
    }
    expect(servedBy.size).toBeGreaterThan(6000);
    expect(flagged).toBe([...servedBy.values()].filter((communes) => communes.length > 1).length);
  });

  it('takes the région of most inhabitants when a postcode’s communes lie in several', () => {
    const split = [...servedBy].filter(([, communes]) => new Set(communes.map((c) => c.region)).size > 1);
    expect(split.length).toBeGreaterThan(0);
    for (const [postcode, communes] of split) {
      const byRegion = new Map<string, number>();
      for (const c of communes) byRegion.set(c.region, (byRegion.get(c.region) ?? 0) + (c.population ?? 0));
      const most = Math.max(...byRegion.values());
      const result = resolvePlace({ postcode });
      expect(result.ok && byRegion.get(result.place.region.code)).toBe(most);
    }
  });

  it('lets the commune code choose among a postcode’s communes, and refuses one the postcode does not serve', () => {
    const [postcode, communes] = [...servedBy].find(([, c]) => c.length > 2)!;
    const chosen = communes[1]!;
    const result = resolvePlace({ postcode, communeCode: chosen.code });
    expect(result).toMatchObject({ ok: true, place: { postcode, commune: { code: chosen.code, name: chosen.nom }, ambiguity: null } });
    const elsewhere = current.find((c) => !(c.codesPostaux ?? []).includes(postcode))!;
    expect(resolvePlace({ postcode, communeCode: elsewhere.code })).toMatchObject({ ok: false, code: 'PARCOURS_E_POSTCODE_COMMUNE_MISMATCH' });
  });

  it('resolves an arrondissement’s or a former commune’s code to the current commune', () => {
    const arrondissement = raw.find((c) => c.type === 'arrondissement-municipal')!;
    expect(resolvePlace({ communeCode: arrondissement.code })).toMatchObject({ ok: true, place: { commune: { code: arrondissement.commune } } });
    const codes = new Set(current.map((c) => c.code));
    const former = raw.find((c) => c.type === 'commune-associee' && !codes.has(c.code) && codes.has(c.chefLieu ?? ''))!;
    expect(resolvePlace({ communeCode: former.code })).toMatchObject({ ok: true, place: { commune: { code: former.chefLieu }, postcode: null } });
  });

  it('puts back the leading zero a spreadsheet dropped, and refuses what is no French place with a stable code', () => {
    const [postcode] = [...servedBy.keys()].filter((p) => p.startsWith('0'));
    expect(resolvePlace({ postcode: postcode!.slice(1) })).toMatchObject({ ok: true, place: { postcode } });
    expect(resolvePlace({ postcode: ' 99999 ' })).toMatchObject({ ok: false, code: 'PARCOURS_E_UNKNOWN_POSTCODE' });
    expect(resolvePlace({ postcode: 'SW1A 1AA' })).toMatchObject({ ok: false, code: 'PARCOURS_E_UNKNOWN_POSTCODE' });
    expect(resolvePlace({ communeCode: '00000' })).toMatchObject({ ok: false, code: 'PARCOURS_E_UNKNOWN_COMMUNE' });
    expect(resolvePlace({ postcode: ' ', communeCode: null })).toMatchObject({ ok: false, code: 'PARCOURS_E_NO_PLACE' });
  });
});

describe('populationBy', () => {
  it('sums the current communes’ populations by région, département and commune', () => {
    const total = current.reduce((sum, c) => sum + (c.population ?? 0), 0);
    for (const level of ['region', 'departement', 'commune'] as const) expect([...populationBy(level).values()].reduce((a, b) => a + b, 0)).toBe(total);
    const ileDeFrance = current.filter((c) => c.region === '11').reduce((sum, c) => sum + (c.population ?? 0), 0);
    expect(populationBy('region').get('11')).toBe(ileDeFrance);
    expect(populationBy('region').size).toBe(new Set(current.map((c) => c.region)).size);
  });
});
