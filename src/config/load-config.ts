import { readFileSync } from 'node:fs';
import { crashPointEnv } from '@parcours/analytics';
import { configSchema, envName, errorCodes, funnelsSchema, ParcoursError, type Config } from '@parcours/contracts';
import { builtInFunnels } from '@parcours/firmware-sim';
import { parse as parseYaml } from 'yaml';

/** The environment variable naming a configuration file (JSON or YAML); `--config` overrides it. */
export const configFileEnv = 'PARCOURS_CONFIG';

type RawConfig = Record<string, Record<string, unknown>>;

function readFile(path: string): RawConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ParcoursError(errorCodes.config, `cannot read the configuration file ${path}: ${(error as Error).message}`);
  }
  const parsed: unknown = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ParcoursError(errorCodes.config, `${path}: the configuration must be an object of sections`);
  }
  return parsed as RawConfig;
}

/** Maps every `PARCOURS_*` / `INFLUX_*` variable that names a setting; unknown `PARCOURS_*` names (but the file's and the crash tests' failpoint) are errors. */
function readEnv(env: NodeJS.ProcessEnv): { raw: RawConfig; unknown: string[] } {
  const known = new Map<string, [string, string]>();
  for (const [section, object] of Object.entries(configSchema.shape)) {
    for (const key of Object.keys(object.unwrap().shape)) known.set(envName(section, key), [section, key]);
  }
  const raw: RawConfig = {};
  const unknown: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const target = known.get(name);
    if (target) {
      const [section, key] = target;
      raw[section] = { ...raw[section], [key]: value };
    } else if (name.startsWith('PARCOURS_') && name !== configFileEnv && name !== crashPointEnv) {
      // INFLUX_* names are shared with other tools (the influx CLI, Telegraf), so only ours are checked.
      unknown.push(name);
    }
  }
  return { raw, unknown };
}

/**
 * Reads the configuration once, at the edge: file first, environment over it, then the schema.
 * Every problem is reported at once, by path; the result is frozen.
 */
export function loadConfig(options: { env?: NodeJS.ProcessEnv; file?: string | undefined } = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  const filePath = options.file ?? env[configFileEnv];
  const fromFile = filePath ? readFile(filePath) : {};
  const fromEnv = readEnv(env);
  const merged: RawConfig = { ...fromFile };
  for (const [section, values] of Object.entries(fromEnv.raw)) merged[section] = { ...(merged[section] ?? {}), ...values };

  const problems = fromEnv.unknown.map((name) => `${name}: not a Parcours setting`);
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.join('.');
      const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
      problems.push(`${path || '(root)'}: ${issue.message}${keys}`);
    }
  }
  if (problems.length > 0 || !result.success) {
    throw new ParcoursError(errorCodes.config, `invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return deepFreeze(withExampleFunnels(result.data, merged.analytics?.funnels !== undefined));
}

/** Without declared funnels, those of the built-in fleet's world, so that its funnel routes have counts. */
function withExampleFunnels(config: Config, declared: boolean): Config {
  const example = builtInFunnels[config.sim.scenario];
  if (declared || !example) return config;
  return { ...config, analytics: { ...config.analytics, funnels: funnelsSchema.parse(example) } };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
