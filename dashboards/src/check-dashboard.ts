import { dashboardSchema, type Dashboard } from './dashboard-schema.js';

/** Variables Grafana defines itself in InfluxQL queries. */
const builtins = new Set(['timeFilter', '__interval', 'interval', '__interval_ms', '__timeFilter', '__from', '__to']);

const gridColumns = 24;

/** Every `$name` or `${name}` a query uses. */
export function variablesIn(query: string): string[] {
  return [...query.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
}

function overlaps(a: Dashboard['panels'][number]['gridPos'], b: Dashboard['panels'][number]['gridPos']): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** The problems of a dashboard JSON document, each a sentence naming the panel; empty when it is sound. */
export function checkDashboard(json: unknown): string[] {
  const parsed = dashboardSchema.safeParse(json);
  if (!parsed.success) return parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  const dashboard = parsed.data;
  const problems: string[] = [];
  const defined = new Set(dashboard.templating.list.map((v) => v.name));
  const ids = new Set<number>();
  dashboard.panels.forEach((panel, index) => {
    const name = `panel ${panel.id} "${panel.title}"`;
    if (ids.has(panel.id)) problems.push(`${name}: duplicate id`);
    ids.add(panel.id);
    if (panel.gridPos.x + panel.gridPos.w > gridColumns) problems.push(`${name}: wider than the ${gridColumns}-column grid`);
    for (const other of dashboard.panels.slice(0, index)) {
      if (overlaps(panel.gridPos, other.gridPos)) problems.push(`${name}: overlaps panel ${other.id}`);
    }
    for (const target of panel.targets) {
      for (const variable of variablesIn(target.query)) {
        if (!builtins.has(variable) && !defined.has(variable)) problems.push(`${name}: uses $${variable}, which is not defined`);
      }
    }
  });
  for (const variable of dashboard.templating.list) {
    for (const used of variablesIn(variable.query)) {
      if (!defined.has(used)) problems.push(`variable ${variable.name}: uses $${used}, which is not defined`);
    }
  }
  return problems;
}
