import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A raked panel and the figures to estimate on it, as test/weighted-figures-reference.R reads them. */
export interface ReferenceInput {
  /** Each member's id, draw stratum, base weight, levels of the two margins, and one value per figure column. */
  members: readonly { id: string; stratum: string; base: number; ageBand: string; region: string; values: Readonly<Record<string, number>> }[];
  /** The population's count at each level, for the margins `age_band` and `region`. */
  margins: { ageBand: readonly { level: string; total: number }[]; region: readonly { level: string; total: number }[] };
  /** A total, share or mean of a value column, within the members whose domain column is 1 when one is named. */
  figures: readonly { name: string; kind: string; value: string; domain: string }[];
}

/** R's weights and estimates, by member id and by figure name. */
export interface Reference {
  weights: Map<string, number>;
  estimates: Map<string, { estimate: number; se: number; lower: number; upper: number }>;
}

/** Runs R's survey package on the input (by linearization, or JKn replicates by stratum); answers its weights and estimates. */
export function weightedFiguresInR(variance: 'linearization' | 'jackknife', input: ReferenceInput): Reference {
  const dir = mkdtempSync(join(tmpdir(), 'parcours-weighted-figures-'));
  try {
    const columns = Object.keys(input.members[0]!.values);
    const rows = input.members.map((m) => [m.id, m.stratum, m.base.toPrecision(17), m.ageBand, m.region, ...columns.map((c) => m.values[c])].join(','));
    writeFileSync(join(dir, 'members.csv'), `${['id', 'stratum', 'base', 'age_band', 'region', ...columns].join(',')}\n${rows.join('\n')}\n`);
    const margin = (cells: ReferenceInput['margins']['region']) => `level,Freq\n${cells.map((c) => `${c.level},${c.total}`).join('\n')}\n`;
    writeFileSync(join(dir, 'margin-age_band.csv'), margin(input.margins.ageBand));
    writeFileSync(join(dir, 'margin-region.csv'), margin(input.margins.region));
    writeFileSync(join(dir, 'figures.csv'), `name,kind,value,domain\n${input.figures.map((f) => [f.name, f.kind, f.value, f.domain].join(',')).join('\n')}\n`);
    execFileSync('Rscript', [fileURLToPath(new URL('./weighted-figures-reference.R', import.meta.url)), variance, dir], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const csv = (name: string) =>
      readFileSync(join(dir, name), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(',').map((cell) => cell.replaceAll('"', '')));
    return {
      weights: new Map(csv('weights.csv').map(([id, w]) => [id!, Number(w)])),
      estimates: new Map(csv('estimates.csv').map(([name, e, se, lower, upper]) => [name!, { estimate: +e!, se: +se!, lower: +lower!, upper: +upper! }])),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
