import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';

/**
 * France's administrative areas — régions, départements, communes with their postcodes and populations —
 * from Etalab's dataset package (`@etalab/decoupage-administratif`, INSEE's official geography and La
 * Poste's postcodes). Read on first use and indexed once: the communes file is megabytes, and most
 * processes never need it.
 */

const require = createRequire(import.meta.url);

const areaSchema = z.object({ code: z.string(), nom: z.string() });
const communeSchema = areaSchema.extend({
  type: z.enum(['commune-actuelle', 'arrondissement-municipal', 'commune-deleguee', 'commune-associee']),
  departement: z.string(),
  region: z.string(),
  codesPostaux: z.array(z.string()).optional(),
  population: z.number().int().nonnegative().optional(),
  /** An arrondissement's commune (Paris, Lyon, Marseille). */
  commune: z.string().optional(),
  /** A former commune's current one (merged into it as a commune déléguée or associée). */
  chefLieu: z.string().optional(),
});
const departementSchema = areaSchema.extend({ region: z.string() });

export type Commune = z.infer<typeof communeSchema>;

/** An area as Parcours names it: its official code and name. */
export interface Area {
  code: string;
  name: string;
}

export interface FrenchAreas {
  regions: ReadonlyMap<string, Area>;
  departements: ReadonlyMap<string, Area & { region: string }>;
  /** Current communes by code. */
  communes: ReadonlyMap<string, Commune>;
  /** The current commune of an arrondissement municipal or of a former commune, by the latter's code. */
  currentCommuneOf: ReadonlyMap<string, string>;
  /** Current communes served by each postcode. */
  communesByPostcode: ReadonlyMap<string, readonly Commune[]>;
}

function dataset<T>(name: string, schema: z.ZodType<T>): T[] {
  const file = require.resolve(`@etalab/decoupage-administratif/data/${name}.json`);
  return z.array(schema).parse(JSON.parse(readFileSync(file, 'utf8')));
}

function load(): FrenchAreas {
  const all = dataset('communes', communeSchema);
  const communes = new Map(all.filter((c) => c.type === 'commune-actuelle').map((c) => [c.code, c]));
  const currentCommuneOf = new Map<string, string>();
  for (const c of all) {
    // A former commune may share its code with the current one it became part of: the current one wins.
    const current = c.type === 'arrondissement-municipal' ? c.commune : c.type === 'commune-actuelle' ? undefined : c.chefLieu;
    if (current !== undefined && !communes.has(c.code) && communes.has(current)) currentCommuneOf.set(c.code, current);
  }
  const communesByPostcode = new Map<string, Commune[]>();
  for (const c of communes.values())
    for (const postcode of c.codesPostaux ?? []) {
      const list = communesByPostcode.get(postcode) ?? [];
      list.push(c);
      communesByPostcode.set(postcode, list);
    }
  const named = <T extends { code: string; nom: string }>(rows: T[]) => rows.map(({ nom, ...rest }) => [rest.code, { ...rest, name: nom }] as const);
  return {
    regions: new Map(named(dataset('regions', areaSchema))),
    departements: new Map(named(dataset('departements', departementSchema))),
    communes,
    currentCommuneOf,
    communesByPostcode,
  };
}

let areas: FrenchAreas | null = null;

/** The areas, loaded on the first call. */
export function frenchAreas(): FrenchAreas {
  areas ??= load();
  return areas;
}
