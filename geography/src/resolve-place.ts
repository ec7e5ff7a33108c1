import { errorCodes } from '@parcours/contracts';
import { type Area, type Commune, frenchAreas } from './french-areas.js';

/**
 * Where a French address is, from its postcode, its commune code (INSEE), or both: the commune, its
 * département and its région. A postcode may serve several communes (4,205 of the 6,310 do): the commune
 * code then chooses; without one, the place is flagged ambiguous, and the département and région are those
 * of most of its candidates' inhabitants (certain when all candidates share them, as for all but 16
 * postcodes' départements and 5 postcodes' régions).
 */

export interface PlaceQuery {
  postcode?: string | null;
  communeCode?: string | null;
}

export interface Place {
  /** As given, normalised (five digits), or null when only a commune code was given. */
  postcode: string | null;
  /** Null when the postcode serves several communes and no commune code chose one. */
  commune: Area | null;
  departement: Area;
  region: Area;
  /** Set when the postcode serves several communes and no commune code chose one. */
  ambiguity: { communes: Area[]; departementCertain: boolean; regionCertain: boolean } | null;
}

export interface PlaceRefusal {
  code: (typeof errorCodes)['noPlace' | 'unknownPostcode' | 'unknownCommune' | 'postcodeCommuneMismatch'];
  message: string;
}

export type PlaceResult = { ok: true; place: Place } | ({ ok: false } & PlaceRefusal);

/** A postcode as files give it: spaces trimmed, and the leading zero a spreadsheet dropped put back (`1000` is `01000`). */
function normalisedPostcode(postcode: string): string | null {
  const digits = postcode.trim();
  if (/^\d{5}$/.test(digits)) return digits;
  if (/^\d{4}$/.test(digits)) return `0${digits}`;
  return null;
}

const areaOf = (c: Commune): Area => ({ code: c.code, name: c.nom });

/** The key shared by most inhabitants of the communes (ties: the smallest code, so the answer never varies). */
function likeliest(communes: readonly Commune[], key: (c: Commune) => string): { code: string; certain: boolean } {
  const weight = new Map<string, number>();
  for (const c of communes) weight.set(key(c), (weight.get(key(c)) ?? 0) + (c.population ?? 0));
  const [code] = [...weight].sort(([a, x], [b, y]) => y - x || a.localeCompare(b))[0]!;
  return { code, certain: weight.size === 1 };
}

function placeOf(postcode: string | null, communes: readonly Commune[]): Place {
  const { departements, regions } = frenchAreas();
  const departement = likeliest(communes, (c) => c.departement);
  const region = likeliest(communes, (c) => c.region);
  const single = communes.length === 1 ? communes[0]! : null;
  return {
    postcode,
    commune: single === null ? null : areaOf(single),
    departement: { code: departement.code, name: departements.get(departement.code)?.name ?? departement.code },
    region: { code: region.code, name: regions.get(region.code)?.name ?? region.code },
    ambiguity: single === null ? { communes: communes.map(areaOf), departementCertain: departement.certain, regionCertain: region.certain } : null,
  };
}

export function resolvePlace(query: PlaceQuery): PlaceResult {
  const { communes, currentCommuneOf, communesByPostcode } = frenchAreas();
  const givenPostcode = query.postcode?.trim() || null;
  const givenCommune = query.communeCode?.trim().toUpperCase() || null;
  if (givenPostcode === null && givenCommune === null) return { ok: false, code: errorCodes.noPlace, message: 'neither a postcode nor a commune code' };
  const postcode = givenPostcode === null ? null : normalisedPostcode(givenPostcode);
  const served = postcode === null ? undefined : communesByPostcode.get(postcode);
  if (givenPostcode !== null && served === undefined)
    return { ok: false, code: errorCodes.unknownPostcode, message: `postcode ${JSON.stringify(givenPostcode)} is no French postcode` };
  if (givenCommune === null) return { ok: true, place: placeOf(postcode, served!) };
  const commune = communes.get(givenCommune) ?? communes.get(currentCommuneOf.get(givenCommune) ?? '');
  if (commune === undefined)
    return { ok: false, code: errorCodes.unknownCommune, message: `commune code ${JSON.stringify(givenCommune)} is no French commune` };
  if (served !== undefined && !served.includes(commune))
    return {
      ok: false,
      code: errorCodes.postcodeCommuneMismatch,
      message: `postcode ${postcode} does not serve ${commune.nom} (${commune.code}); it serves ${served.map((c) => c.code).join(', ')}`,
    };
  return { ok: true, place: placeOf(postcode, [commune]) };
}
