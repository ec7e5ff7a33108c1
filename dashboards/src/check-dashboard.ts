import type { Dashboard, GridPos, VariableModel } from '@grafana/grafana-foundation-sdk/dashboard';
import { VariableType } from '@grafana/grafana-foundation-sdk/dashboard';
import type { z } from 'zod';
import { datasourceUid, influxQLQuerySchema, isDatasourceRef } from './influxql.js';
import { panelsOf } from './queries.js';
import type { ShippedDashboard } from './shipped-dashboards.js';
import { builtinVariables, variablesIn } from './substitute.js';

/*
 * The SDK's types give a dashboard Grafana's shape; these are the rules they cannot express, which the
 * end-to-end test relies on to run every query as Grafana would.
 */

const gridColumns = 24;
const uidPattern = /^parcours-[a-z0-9-]+$/;
const variableNamePattern = /^[a-z_][a-z0-9_]*$/;
const notOurDatasource = `its datasource is not { type: "influxdb", uid: "${datasourceUid}" }`;

function issues(where: string, error: z.ZodError): string[] {
  return error.issues.map((issue) => `${where}${issue.path.length > 0 ? ` ${issue.path.join('.')}` : ''}: ${issue.message}`);
}

function overlaps(a: GridPos, b: GridPos): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function undefinedVariables(query: string, defined: ReadonlySet<string>): string[] {
  return [...new Set(variablesIn(query))].filter((name) => !builtinVariables.has(name) && !defined.has(name));
}

/** A variable's problems: tag values only, which is what the dashboards filter on and the end-to-end test resolves. */
function variableProblems({ name, type, datasource, query }: VariableModel, defined: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  if (!variableNamePattern.test(name)) problems.push(`variable ${name}: not a name of lower-case letters, digits and _`);
  if (type !== VariableType.Query) problems.push(`variable ${name}: a ${type} variable, not a query`);
  if (!isDatasourceRef(datasource)) problems.push(`variable ${name}: ${notOurDatasource}`);
  if (typeof query !== 'string' || !query.startsWith('SHOW TAG VALUES ')) problems.push(`variable ${name}: its query is not an InfluxQL SHOW TAG VALUES query`);
  else for (const used of undefinedVariables(query, defined)) problems.push(`variable ${name}: uses $${used}, which is not defined before it`);
  return problems;
}

/**
 * The problems of one dashboard, each a sentence naming the panel or variable; empty when sound: a `parcours-`
 * uid, the datasource everywhere, raw InfluxQL queries, the 24-column grid without overlaps, unique panel ids,
 * tag-value variables (each using only the variables before it, which Grafana resolves first), and no
 * `$variable` that is neither defined nor one of Grafana's builtins.
 */
export function checkDashboard(dashboard: Dashboard): string[] {
  const problems: string[] = [];
  if (!uidPattern.test(dashboard.uid ?? '')) problems.push(`dashboard uid ${dashboard.uid}: does not match ${uidPattern}`);
  const defined = new Set<string>();
  for (const variable of dashboard.templating.list ?? []) {
    problems.push(...variableProblems(variable, defined));
    defined.add(variable.name);
  }
  const panels = panelsOf(dashboard);
  if (panels.length === 0) problems.push('dashboard: no panel');
  const placed: { id: number; gridPos: GridPos }[] = [];
  panels.forEach((panel, index) => {
    const { id, title, gridPos } = panel;
    if (id === undefined || !title || gridPos === undefined) {
      problems.push(`panel #${index}: no id, title or grid position`);
      return;
    }
    const name = `panel ${id} "${title}"`;
    if (placed.some((other) => other.id === id)) problems.push(`${name}: duplicate id`);
    if (gridPos.x + gridPos.w > gridColumns) problems.push(`${name}: wider than the ${gridColumns}-column grid`);
    for (const other of placed.filter((o) => overlaps(gridPos, o.gridPos))) problems.push(`${name}: overlaps panel ${other.id}`);
    placed.push({ id, gridPos });
    if (!isDatasourceRef(panel.datasource)) problems.push(`${name}: ${notOurDatasource}`);
    const targets = panel.targets ?? [];
    if (targets.length === 0) problems.push(`${name}: no query`);
    targets.forEach((raw, t) => {
      const target = influxQLQuerySchema.safeParse(raw);
      if (!target.success) problems.push(...issues(`${name} targets ${t}`, target.error));
      else for (const used of undefinedVariables(target.data.query, defined)) problems.push(`${name}: uses $${used}, which is not defined`);
    });
  });
  return problems;
}

/** `checkDashboard` for each file, prefixed with its name, and dashboard uids unique across the files. */
export function checkDashboards(dashboards: ShippedDashboard[]): string[] {
  const problems = dashboards.flatMap(({ file, dashboard }) => checkDashboard(dashboard).map((problem) => `${file}: ${problem}`));
  const files = new Map<string, string>();
  for (const { file, dashboard } of dashboards) {
    if (dashboard.uid === undefined) continue;
    const first = files.get(dashboard.uid);
    if (first === undefined) files.set(dashboard.uid, file);
    else problems.push(`${file}: uid ${dashboard.uid} is already the uid of ${first}`);
  }
  return problems;
}
