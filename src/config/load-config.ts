import { readFileSync } from 'node:fs';
import { configSchema, crashPointEnv, envName, errorCodes, listSettings, ParcoursError, type Config, type SettingInfo } from '@parcours/contracts';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

/** The environment variable naming a configuration file (JSON or YAML); `--config` overrides it. */
export const configFileEnv = 'PARCOURS_CONFIG';

/** The variable that gives client commands (`parcours day`) an API key; no server setting, but not unknown either. */
export const clientApiKeyEnv = 'PARCOURS_API_KEY';

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

/** Where a setting's value came from, so that a problem names what the user wrote. */
interface EnvValue {
  name: string;
  value: string;
}

/**
 * Maps every `PARCOURS_*` / `INFLUX_*` variable that names a setting; unknown `PARCOURS_*` names (but the
 * file's, the client commands' API key and the crash tests' failpoint) are errors.
 */
function readEnv(env: NodeJS.ProcessEnv): { raw: RawConfig; byPath: Map<string, EnvValue>; unknown: string[] } {
  const known = new Map<string, [string, string]>();
  for (const [section, object] of Object.entries(configSchema.shape)) {
    for (const key of Object.keys(object.unwrap().shape)) known.set(envName(section, key), [section, key]);
  }
  const raw: RawConfig = {};
  const byPath = new Map<string, EnvValue>();
  const unknown: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const target = known.get(name);
    if (target) {
      const [section, key] = target;
      raw[section] = { ...raw[section], [key]: value };
      byPath.set(`${section}.${key}`, { name, value });
    } else if (name.startsWith('PARCOURS_') && name !== configFileEnv && name !== clientApiKeyEnv && name !== crashPointEnv) {
      // INFLUX_* names are shared with other tools (the influx CLI, Telegraf), so only ours are checked.
      unknown.push(name);
    }
  }
  return { raw, byPath, unknown };
}

/**
 * One problem, in the words the user wrote it: `PARCOURS_HTTP_PORT=abc: not a port …` for a variable,
 * `http.port = "abc": …` for the file. Secrets are never repeated; an empty variable is refused as such.
 */
function describeProblem(issue: z.core.$ZodIssue, fromEnv: ReadonlyMap<string, EnvValue>, settings: ReadonlyMap<string, SettingInfo>, file: RawConfig): string {
  const [section, key, ...inner] = issue.path.map(String);
  const settingPath = `${section}.${key}`;
  const setting = settings.get(settingPath);
  const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
  if (!setting) return `${issue.path.join('.') || '(root)'}: ${issue.message}${keys}`;
  const env = fromEnv.get(settingPath);
  if (env && inner.length > 0) return `${env.name}, at ${inner.join('.')}: ${issue.message}${keys}`;
  if (env && env.value.trim() === '') return `${env.name} is empty: give it a value, or unset it for the default (${setting.defaultText || 'empty'})`;
  if (env) return `${env.name}=${setting.secret ? '(hidden)' : env.value}: ${issue.message}`;
  const written = file[section!]?.[key!];
  // A setting given nowhere (one another requires): how to give it.
  if (written === undefined) return `${issue.path.join('.')} (${setting.env}): ${issue.message}${keys}`;
  const shown = inner.length === 0 && !setting.secret && typeof written !== 'object' ? ` = ${JSON.stringify(written)}` : '';
  return `${issue.path.join('.')}${shown}: ${issue.message}${keys}`;
}

/**
 * Reads the configuration once, at the edge: file first, environment over it, then the schema.
 * Every problem is reported at once, named as the user wrote it; the result is frozen.
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
    const settings = new Map(listSettings().map((s) => [s.path, s]));
    for (const issue of result.error.issues) problems.push(describeProblem(issue, fromEnv.byPath, settings, fromFile));
  }
  if (problems.length > 0 || !result.success) {
    const list = problems.length === 1 ? ` ${problems[0]}` : `\n  - ${problems.join('\n  - ')}`;
    throw new ParcoursError(errorCodes.config, `invalid configuration:${list}`);
  }
  return deepFreeze(result.data);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
