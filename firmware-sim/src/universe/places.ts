import { frenchAreas, resolvePlace } from '@parcours/geography';
import type { Rng } from '../prng.js';
import { metropolitanRegions } from './distributions.js';

/**
 * Where customers live: a commune of metropolitan France and one of its postcodes, drawn in proportion to the
 * commune's population (shared evenly among its postcodes). What Parcours stores for a place is what
 * `resolvePlace` makes of the postcode and commune code a row gives, computed the same way here, so that the
 * ground truth's régions are those Parcours will hold (a postcode serving communes of two régions, given
 * without a commune code, is placed where most of their inhabitants live).
 */

/** The attributes a trait import stores from a row's place columns. */
export interface StoredPlace {
  postcode: string;
  /** Null when the postcode serves several communes and no commune code was given. */
  commune: string | null;
  departement: string;
  region: string;
  /** The postcode served several communes and no commune code chose one: the import flags the row. */
  flagged: boolean;
}

export class PlaceTable {
  readonly communeCodes: string[] = [];
  readonly postcodes: string[] = [];
  /** The region of each entry's commune. */
  readonly regions: string[] = [];
  private readonly cumulative: Float64Array;
  private readonly stored = new Map<string, StoredPlace>();

  constructor() {
    const weights: number[] = [];
    const communes = [...frenchAreas().communes.values()].sort((a, b) => a.code.localeCompare(b.code));
    for (const c of communes) {
      const postcodes = c.codesPostaux ?? [];
      if (!metropolitanRegions.has(c.region) || !c.population || postcodes.length === 0) continue;
      for (const postcode of postcodes) {
        this.communeCodes.push(c.code);
        this.postcodes.push(postcode);
        this.regions.push(c.region);
        weights.push(c.population / postcodes.length);
      }
    }
    this.cumulative = new Float64Array(weights.length);
    let total = 0;
    weights.forEach((w, i) => {
      total += w;
      this.cumulative[i] = total;
    });
  }

  get size(): number {
    return this.communeCodes.length;
  }

  /** An entry drawn in proportion to its inhabitants. */
  draw(rng: Rng): number {
    const target = rng() * this.cumulative[this.cumulative.length - 1]!;
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.cumulative[middle]! > target) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  /** What Parcours stores for the entry's postcode, with or without its commune code. */
  storedPlace(entry: number, withCommuneCode: boolean): StoredPlace {
    const key = `${entry}|${withCommuneCode}`;
    let place = this.stored.get(key);
    if (place === undefined) {
      const result = resolvePlace({ postcode: this.postcodes[entry]!, communeCode: withCommuneCode ? this.communeCodes[entry]! : null });
      // Every entry comes from the dataset the resolver reads: a refusal would be a bug here.
      if (!result.ok) throw new Error(`${this.postcodes[entry]} / ${this.communeCodes[entry]}: ${result.message}`);
      const { postcode, commune, departement, region, ambiguity } = result.place;
      place = { postcode: postcode!, commune: commune?.code ?? null, departement: departement.code, region: region.code, flagged: ambiguity !== null };
      this.stored.set(key, place);
    }
    return place;
  }
}
