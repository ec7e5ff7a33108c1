import { join } from 'node:path';
import {
  type CustomerBase,
  CustomerBaseClient,
  customerBaseFiles,
  describeCheck,
  generateCustomerBase,
  pushCustomerBase,
  writeCustomerBase,
} from '@parcours/firmware-sim';
import type { Logger } from 'pino';

/**
 * `parcours sim --universe N`: the simulated customer base, written as import files with its ground truth,
 * and pushed to Parcours when the sim runs against one (after the world is registered: its persons are
 * customers too), each source's trait report checked against the ground truth.
 */

export interface UniverseOptions {
  size: number;
  seed: number;
  /** The day the base describes: its rows hold from before it, its opt-outs come after. */
  startsAt: number;
  dir: string;
  /** The persons of the world the sim runs, included as customers; none when the files are only written. */
  worldIndividuals: readonly string[];
}

/** Writes the base's files and says what they hold; answers the base. */
export async function writeUniverse(options: UniverseOptions): Promise<CustomerBase> {
  const { size, seed, startsAt, dir, worldIndividuals } = options;
  const base = generateCustomerBase({ size, seed, startsAt, worldIndividuals: [...worldIndividuals] });
  const truth = await writeCustomerBase(base, dir);
  const web = truth.imports.find((i) => i.source === 'web');
  process.stdout.write(
    `customer base: ${truth.individuals.total} customers (${truth.individuals.fromWorld} of the world), ${web?.rows ?? 0} web rows, ` +
      `${new Set(truth.moves.map((m) => m.individualId)).size} moves, ${truth.attrition.optOuts.length} planned opt-outs\n` +
      `files: ${dir}\nground truth: ${join(dir, customerBaseFiles.groundTruth)}\n`,
  );
  return base;
}

/** Pushes the files of `dir`; a trait report that differs from the ground truth makes the command fail. */
export async function pushUniverse(dir: string, api: { apiUrl: string; apiKey: string; logger: Logger }): Promise<void> {
  const checks = await pushCustomerBase(dir, new CustomerBaseClient(api));
  for (const check of checks) process.stdout.write(`${describeCheck(check)}\n`);
  if (checks.some((c) => c.differing.length > 0)) {
    process.stderr.write('customer base: Parcours reported other counts than the ground truth\n');
    process.exitCode = 1;
  }
}
