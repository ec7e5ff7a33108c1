import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { clientApiKeyEnv, loadConfig } from '../config/load-config.js';
import { localUrls } from './local-urls.js';
import { UsageError } from './usage-error.js';

/** What the commands that go through the HTTP API of a running Parcours are told of it. */
export interface ApiOptions {
  api?: string;
  apiKey?: string;
  config?: string;
}

/** The address and key of that Parcours: the options', else the environment's key and the configuration's address. */
export function apiOf(options: ApiOptions): { url: string; key: string } {
  const key = options.apiKey ?? process.env[clientApiKeyEnv];
  if (!key) throw new UsageError(`--api-key (or ${clientApiKeyEnv}) is required: an admin API key of this Parcours`);
  return { url: options.api ?? localUrls(loadConfig({ file: options.config })).api, key };
}

/** A request file, JSON or YAML. */
export function readRequest(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const parsed: unknown = parseYaml(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`${file} does not hold an object`);
  return parsed as Record<string, unknown>;
}

/** The options that say which Parcours a command talks to. */
export const apiOptions = (command: Command) =>
  command
    .option('--api <url>', "HTTP API of the running Parcours (default: the configuration's, http://localhost:8080)")
    .option('--api-key <key>', `an API key of that Parcours (default: ${clientApiKeyEnv})`)
    .option('-c, --config <file>', 'configuration file (JSON or YAML) of that Parcours, for its address');
