import { parseDuration } from '@parcours/contracts';

export interface Substitutions {
  /** The dashboard's time range, ms epoch. */
  from: number;
  to: number;
  /** `$__interval` as Grafana would pick it, e.g. `1m`. */
  interval: string;
  /**
   * Template variable values. An array is a multi-value variable (or "All"): Grafana escapes its values for a
   * regex and joins several as `(a|b)`. A string is a single-value variable, inserted as it is.
   */
  vars: Record<string, string | string[]>;
}

const timeFilter = (s: Substitutions) => `time >= ${s.from}ms and time <= ${s.to}ms`;
const interval = (s: Substitutions) => s.interval;

/** The variables Grafana's InfluxQL datasource defines itself, and what `substitute` makes of them. */
const builtins = new Map<string, (s: Substitutions) => string>([
  ['timeFilter', timeFilter],
  ['__timeFilter', timeFilter],
  ['__interval', interval],
  ['interval', interval],
  [
    '__interval_ms',
    (s) => {
      const ms = parseDuration(s.interval);
      if (ms === null) throw new Error(`interval "${s.interval}" is not a duration such as 10s or 1m`);
      return String(ms);
    },
  ],
  ['__from', (s) => String(s.from)],
  ['__to', (s) => String(s.to)],
]);

export const builtinVariables: ReadonlySet<string> = new Set(builtins.keys());

// Grafana's three reference forms: `$name`, `${name}` / `${name:format}` and the deprecated `[[name]]`.
const reference = /\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g;

/** Every variable a query refers to, builtins included, in order of appearance. */
export function variablesIn(query: string): string[] {
  return [...query.matchAll(reference)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

// Grafana's escapeRegex (@grafana/data): the value sits inside an InfluxQL /regex/, so `/` is escaped too.
const escapeRegex = (value: string) => value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

function formatValue(value: string | string[]): string {
  if (typeof value === 'string') return value;
  const escaped = value.map(escapeRegex);
  return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
}

/**
 * Replaces what Grafana replaces in an InfluxQL query before it sends it (the datasource's
 * `interpolateQueryExpr`), so that a test can run a panel's query as Grafana would. A variable without a value
 * is an error rather than a query that InfluxDB would reject with a less helpful message.
 */
export function substitute(query: string, s: Substitutions): string {
  return query.replace(reference, (_whole, braced?: string, plain?: string, bracketed?: string) => {
    const name = (braced ?? plain ?? bracketed)!;
    const builtin = builtins.get(name);
    if (builtin) return builtin(s);
    const value = Object.hasOwn(s.vars, name) ? s.vars[name] : undefined;
    if (value === undefined) throw new Error(`$${name} has no value`);
    return formatValue(value);
  });
}
