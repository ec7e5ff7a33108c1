import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { ParcoursError, errorCodes } from '@parcours/contracts';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { careHome } from '../scenarios/care-home.js';
import { city } from '../scenarios/city.js';
import { coworking } from '../scenarios/coworking.js';
import { meteredHome } from '../scenarios/metered-home.js';
import { small } from '../scenarios/small.js';
import { worldSchema, type World, type WorldInput } from './schema.js';

/** Built-in worlds, by the name `--scenario` and `PARCOURS_SIM_SCENARIO` accept; `city` is generated (from seed 1). */
export const builtInScenarios: Readonly<Record<string, WorldInput>> = {
  small,
  get city(): WorldInput {
    return city();
  },
  'care-home': careHome,
  coworking,
  'metered-home': meteredHome,
};

/** Validates a world; every problem is reported with its path (`devices[3].owner: no subject "x"`). */
export function parseScenario(input: unknown, source = 'scenario'): World {
  const result = worldSchema.safeParse(input);
  if (!result.success) {
    throw new ParcoursError(errorCodes.config, `${source} is not a valid scenario:\n${z.prettifyError(result.error)}`, false, {
      cause: result.error,
    });
  }
  return result.data;
}

/** A built-in scenario by name, or a `.json`, `.yaml` or `.yml` file. */
export async function loadScenario(nameOrPath: string): Promise<World> {
  const builtIn = builtInScenarios[nameOrPath];
  if (builtIn) return parseScenario(builtIn, `built-in scenario "${nameOrPath}"`);
  const extension = extname(nameOrPath).toLowerCase();
  if (!['.json', '.yaml', '.yml'].includes(extension)) {
    const names = Object.keys(builtInScenarios).join(', ');
    throw new ParcoursError(errorCodes.config, `"${nameOrPath}" is neither a built-in scenario (${names}) nor a .json, .yaml or .yml file`);
  }
  let text: string;
  try {
    text = await readFile(nameOrPath, 'utf8');
  } catch (error) {
    throw new ParcoursError(errorCodes.config, `cannot read scenario file ${nameOrPath}: ${(error as Error).message}`, false, { cause: error });
  }
  let data: unknown;
  try {
    data = extension === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ParcoursError(errorCodes.config, `${nameOrPath} is not valid ${extension === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`, false, {
      cause: error,
    });
  }
  return parseScenario(data, nameOrPath);
}
