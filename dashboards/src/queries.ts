import type { Dashboard } from './dashboard-schema.js';

export interface PanelQuery {
  dashboard: string;
  panelId: number;
  title: string;
  query: string;
}

export interface Substitutions {
  /** The dashboard's time range, ms. */
  from: number;
  to: number;
  /** `$__interval` as Grafana would pick it, e.g. `1m`. */
  interval: string;
  /** Template variable values; several values are matched as a regex alternation, as Grafana does. */
  vars: Record<string, string[]>;
}

export function listDashboardQueries(dashboard: Dashboard): PanelQuery[] {
  return dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ dashboard: dashboard.uid, panelId: panel.id, title: panel.title, query: target.query })));
}

const escapeRegex = (value: string) => value.replace(/[\\/^$.*+?()[\]{}|]/g, '\\$&');

/** Replaces what Grafana replaces in an InfluxQL query before it sends it. */
export function substitute(query: string, s: Substitutions): string {
  return query
    .replaceAll('$timeFilter', `time >= ${s.from}ms and time <= ${s.to}ms`)
    .replaceAll('$__interval', s.interval)
    .replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, name: string) => {
      const values = s.vars[name];
      if (!values) return whole;
      return values.length === 1 ? escapeRegex(values[0]!) : `(${values.map(escapeRegex).join('|')})`;
    });
}
