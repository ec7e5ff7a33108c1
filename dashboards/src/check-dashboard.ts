import { z } from 'zod';
import { dashboardSchema, datasourceRefSchema, datasourceUid, panelHeadSchema, targetSchema, variableSchema, type GridPos } from './dashboard-schema.js';
import type { ShippedDashboard } from './shipped-dashboards.js';
import { builtinVariables, variablesIn } from './substitute.js';

const gridColumns = 24;

// Panels and variables are parsed one by one, so that one bad panel does not hide the problems of the others.
const dashboardHeadSchema = dashboardSchema.extend({
  templating: z.object({ list: z.array(z.unknown()) }),
  panels: z.array(z.unknown()).min(1),
});
const targetsSchema = z.array(targetSchema).min(1);

function issues(where: string, error: z.ZodError): string[] {
  return error.issues.map((issue) => `${where}${issue.path.length > 0 ? ` ${issue.path.join('.')}` : ''}: ${issue.message}`);
}

function overlaps(a: GridPos, b: GridPos): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function undefinedVariables(query: string, defined: ReadonlySet<string>): string[] {
  return [...new Set(variablesIn(query))].filter((name) => !builtinVariables.has(name) && !defined.has(name));
}

/** The variables' problems; a variable may use only the variables before it, which Grafana resolves first. */
function checkVariables(list: unknown[]): { problems: string[]; defined: Set<string> } {
  const problems: string[] = [];
  const defined = new Set<string>();
  list.forEach((raw, index) => {
    const parsed = variableSchema.safeParse(raw);
    if (!parsed.success) {
      problems.push(...issues(`variable #${index}`, parsed.error));
      return;
    }
    const { name, query } = parsed.data;
    for (const used of undefinedVariables(query, defined)) problems.push(`variable ${name}: uses $${used}, which is not defined before it`);
    defined.add(name);
  });
  return { problems, defined };
}

/**
 * The problems of one dashboard JSON document, each a sentence naming the panel or variable; empty when sound:
 * the shape Parcours relies on, the datasource, raw queries, the 24-column grid without overlaps, unique panel
 * ids, and no `$variable` that is neither defined nor one of Grafana's builtins.
 */
export function checkDashboard(json: unknown): string[] {
  const head = dashboardHeadSchema.safeParse(json);
  if (!head.success) return issues('dashboard', head.error);
  const { problems, defined } = checkVariables(head.data.templating.list);
  const placed: { id: number; gridPos: GridPos }[] = [];
  head.data.panels.forEach((raw, index) => {
    const parsed = panelHeadSchema.safeParse(raw);
    if (!parsed.success) {
      problems.push(...issues(`panel #${index}`, parsed.error));
      return;
    }
    const panel = parsed.data;
    const name = `panel ${panel.id} "${panel.title}"`;
    if (placed.some((other) => other.id === panel.id)) problems.push(`${name}: duplicate id`);
    if (panel.gridPos.x + panel.gridPos.w > gridColumns) problems.push(`${name}: wider than the ${gridColumns}-column grid`);
    for (const other of placed.filter((o) => overlaps(panel.gridPos, o.gridPos))) problems.push(`${name}: overlaps panel ${other.id}`);
    placed.push(panel);
    if (!datasourceRefSchema.safeParse(panel.datasource).success) problems.push(`${name}: its datasource is not { type: "influxdb", uid: "${datasourceUid}" }`);
    const targets = targetsSchema.safeParse(panel.targets);
    if (!targets.success) {
      problems.push(...issues(`${name} targets`, targets.error));
      return;
    }
    for (const target of targets.data) {
      for (const used of undefinedVariables(target.query, defined)) problems.push(`${name}: uses $${used}, which is not defined`);
    }
  });
  return problems;
}

/** `checkDashboard` for each file, prefixed with its name, and dashboard uids unique across the files. */
export function checkDashboards(dashboards: ShippedDashboard[]): string[] {
  const problems = dashboards.flatMap(({ file, json }) => checkDashboard(json).map((problem) => `${file}: ${problem}`));
  const files = new Map<string, string>();
  for (const { file, json } of dashboards) {
    const uid = dashboardSchema.shape.uid.safeParse((json as { uid?: unknown } | null)?.uid);
    if (!uid.success) continue;
    const first = files.get(uid.data);
    if (first === undefined) files.set(uid.data, file);
    else problems.push(`${file}: uid ${uid.data} is already the uid of ${first}`);
  }
  return problems;
}
