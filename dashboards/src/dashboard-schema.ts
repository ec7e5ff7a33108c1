import { z } from 'zod';

/** The uid of the provisioned datasource (provisioning/datasources/influxdb.yaml); every panel and variable uses it. */
export const datasourceUid = 'parcours-influxdb';

export const datasourceRefSchema = z.object({ type: z.literal('influxdb'), uid: z.literal(datasourceUid) });

export const gridPosSchema = z.object({
  x: z.number().int().min(0),
  y: z.number().int().min(0),
  w: z.number().int().min(1),
  h: z.number().int().min(1),
});
export type GridPos = z.infer<typeof gridPosSchema>;

/** A raw InfluxQL query, as the end-to-end test runs it against a real InfluxDB. */
export const targetSchema = z.looseObject({
  refId: z.string().min(1),
  datasource: datasourceRefSchema.optional(),
  rawQuery: z.literal(true),
  query: z.string().min(1),
  resultFormat: z.enum(['time_series', 'table']),
});

/** What identifies a panel and places it; checked apart from its queries so that layout problems are still found. */
export const panelHeadSchema = z.looseObject({
  id: z.number().int(),
  type: z.string().min(1),
  title: z.string().min(1),
  gridPos: gridPosSchema,
});

export const panelSchema = panelHeadSchema.extend({
  datasource: datasourceRefSchema,
  targets: z.array(targetSchema).min(1),
});
export type Panel = z.infer<typeof panelSchema>;

/** Tag values only: they are what the dashboards filter on, and what the end-to-end test knows how to resolve. */
export const variableSchema = z.looseObject({
  name: z.string().regex(/^[a-z_][a-z0-9_]*$/),
  type: z.literal('query'),
  datasource: datasourceRefSchema,
  query: z.string().regex(/^SHOW TAG VALUES /, 'a variable query is an InfluxQL SHOW TAG VALUES query'),
});
export type Variable = z.infer<typeof variableSchema>;

/** The part of Grafana's dashboard JSON that Parcours relies on; the rest passes through. */
export const dashboardSchema = z.looseObject({
  uid: z.string().regex(/^parcours-[a-z0-9-]+$/),
  title: z.string().min(1),
  schemaVersion: z.number().int().min(39),
  templating: z.object({ list: z.array(variableSchema) }),
  panels: z.array(panelSchema).min(1),
});
export type Dashboard = z.infer<typeof dashboardSchema>;
