import { resolvePlace } from '@parcours/geography';

/** The attributes a place is stored as: INSEE codes for the commune, département and région. */
export const placeAttributeNames = ['postcode', 'commune', 'departement', 'region'] as const;

/**
 * A row's place as attributes. `commune` is null (the source no longer names one) when the postcode serves
 * several communes and no commune code chose one: an earlier commune would otherwise outlive a move.
 */
export type PlaceOutcome =
  | { ok: true; attributes: [name: string, value: string | null][]; flagged: { postcode: string; communes: string[] } | null }
  | { ok: false; code: string; message: string };

/** Resolves places with @parcours/geography, each distinct (postcode, commune code) once per import. */
export class PlaceResolver {
  private readonly seen = new Map<string, PlaceOutcome>();

  resolve(postcode: string | null, communeCode: string | null): PlaceOutcome {
    const key = `${postcode ?? ''}|${communeCode ?? ''}`;
    let outcome = this.seen.get(key);
    if (!outcome) this.seen.set(key, (outcome = resolved(postcode, communeCode)));
    return outcome;
  }
}

function resolved(postcode: string | null, communeCode: string | null): PlaceOutcome {
  const result = resolvePlace({ postcode, communeCode });
  if (!result.ok) return { ok: false, code: result.code, message: result.message };
  const { place } = result;
  const attributes: [string, string | null][] = [
    ['commune', place.commune?.code ?? null],
    ['departement', place.departement.code],
    ['region', place.region.code],
  ];
  if (place.postcode !== null) attributes.unshift(['postcode', place.postcode]);
  const flagged = place.ambiguity && place.postcode !== null ? { postcode: place.postcode, communes: place.ambiguity.communes.map((c) => c.code) } : null;
  return { ok: true, attributes, flagged };
}
