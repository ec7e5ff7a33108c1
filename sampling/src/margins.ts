import { errorCodes, ParcoursError } from '@parcours/contracts';
import { z } from 'zod';

/** A variable's level for each stratification variable, e.g. `{ region: '84', household: '2', age: '35-49' }`. */
export const levelsSchema = z.record(z.string().min(1), z.string());
export type Levels = z.infer<typeof levelsSchema>;

/** A count of people sharing the same levels: a cell of the universe, of an allocation or of a sample. */
export interface LevelCount {
  levels: Readonly<Levels>;
  count: number;
}

/** One level of one variable: its share of the universe against its share of the sample. */
export interface MarginComparison {
  variable: string;
  level: string;
  universeCount: number;
  /** universeCount over the universe's total, in [0, 1]. */
  universeShare: number;
  sampleCount: number;
  sampleShare: number;
  /** What the level would count in a sample of this size with exactly its universe share. */
  expectedCount: number;
  /** sampleCount − expectedCount, in people. */
  difference: number;
  /** (sampleShare − universeShare) in percentage points. */
  differencePoints: number;
}

/**
 * Every one-way margin of the universe against the same margin of a sample: for each variable and each of its
 * levels (in the universe's order of first appearance, so listings are stable), the two shares and their
 * difference. Counts may be weighted (a sample's design weights summed), and need not be integers.
 */
export function compareMargins(universe: readonly LevelCount[], sample: readonly LevelCount[]): MarginComparison[] {
  const universeMargins = marginCounts(universe);
  const sampleMargins = marginCounts(sample);
  const universeTotal = total(universe);
  const sampleTotal = total(sample);
  for (const [variable, levels] of sampleMargins) {
    for (const level of levels.keys()) {
      if (!universeMargins.get(variable)?.has(level)) {
        throw new ParcoursError(errorCodes.validation, `the sample has ${variable} = ${level}, a level the universe does not have`);
      }
    }
  }
  const comparisons: MarginComparison[] = [];
  for (const [variable, levels] of universeMargins) {
    for (const [level, universeCount] of levels) {
      const universeShare = universeTotal > 0 ? universeCount / universeTotal : 0;
      const sampleCount = sampleMargins.get(variable)?.get(level) ?? 0;
      const sampleShare = sampleTotal > 0 ? sampleCount / sampleTotal : 0;
      const expectedCount = sampleTotal * universeShare;
      comparisons.push({
        variable,
        level,
        universeCount,
        universeShare,
        sampleCount,
        sampleShare,
        expectedCount,
        difference: sampleCount - expectedCount,
        differencePoints: 100 * (sampleShare - universeShare),
      });
    }
  }
  return comparisons;
}

/** Counts summed by variable, then by level. */
export function marginCounts(counts: readonly LevelCount[]): Map<string, Map<string, number>> {
  const margins = new Map<string, Map<string, number>>();
  for (const { levels, count } of counts) {
    for (const [variable, level] of Object.entries(levels)) {
      let byLevel = margins.get(variable);
      if (!byLevel) margins.set(variable, (byLevel = new Map()));
      byLevel.set(level, (byLevel.get(level) ?? 0) + count);
    }
  }
  return margins;
}

function total(counts: readonly LevelCount[]): number {
  return counts.reduce((sum, { count }) => sum + count, 0);
}
