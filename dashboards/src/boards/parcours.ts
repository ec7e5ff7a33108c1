import { ReduceDataOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { InfluxQLQueryBuilder, influxdb } from '../influxql.js';

/**
 * What every Parcours dashboard shares: the `parcours` tag, a menu of the others that keeps the time range and
 * the variables, the crosshair shared between panels, the browser's time zone.
 */
export function parcoursDashboard(name: string, title: string, settings: { description: string; from: string; refresh: string }): DashboardBuilder {
  return new DashboardBuilder(`Parcours · ${title}`)
    .uid(`parcours-${name}`)
    .description(settings.description)
    .tags(['parcours'])
    .version(1)
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .timezone('browser')
    .refresh(settings.refresh)
    .time({ from: settings.from, to: 'now' })
    .link(new DashboardLinkBuilder('Parcours').type(DashboardLinkType.Dashboards).tags(['parcours']).asDropdown(true).includeVars(true).keepTime(true));
}

/** The values of a tag, optionally of the series whose other tag matches that tag's variable (`"tag" =~ /^$tag$/`). */
export function tagValues(measurement: string, key: string, filteredBy?: string): string {
  const query = `SHOW TAG VALUES FROM "${measurement}" WITH KEY = "${key}"`;
  return filteredBy === undefined ? query : `${query} WHERE "${filteredBy}" =~ /^$${filteredBy}$/`;
}

function tagVariable(name: string, label: string, query: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(influxdb)
    .query(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);
}

/** A variable of several values, all of them at first: queries filter on it with `"tag" =~ /^$name$/`. */
export function anyOfTag(name: string, label: string, query: string): QueryVariableBuilder {
  return tagVariable(name, label, query)
    .includeAll(true)
    .multi(true)
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}

/** A variable of one value: `current` when it exists, else the first. */
export function oneOfTag(name: string, label: string, query: string, current?: string): QueryVariableBuilder {
  const variable = tagVariable(name, label, query).includeAll(false).multi(false);
  return current === undefined ? variable : variable.current({ selected: true, text: current, value: current });
}

/** A query whose series are named by `alias` (`$tag_<key>`, `$col`). */
export const seriesQuery = (query: string, alias?: string): InfluxQLQueryBuilder => {
  const target = new InfluxQLQueryBuilder(query);
  return alias === undefined ? target : target.alias(alias);
};

/** A query read as a table, a column per tag and field. */
export const tableQuery = (query: string): InfluxQLQueryBuilder => new InfluxQLQueryBuilder(query).table();

/** Reduces each series to its last value, as the stat and bar gauge panels show it. */
export const lastValue = (): ReduceDataOptionsBuilder => new ReduceDataOptionsBuilder().calcs(['lastNotNull']).fields('').values(false);
