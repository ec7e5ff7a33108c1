import { z } from 'zod';

/** The part of Grafana's dashboard JSON that Parcours relies on; the rest passes through. */
const datasourceRef = z.object({ type: z.literal('influxdb'), uid: z.string().min(1) });

export const panelSchema = z.looseObject({
  id: z.number().int(),
  type: z.string().min(1),
  title: z.string().min(1),
  datasource: datasourceRef,
  gridPos: z.object({ x: z.number().int().min(0), y: z.number().int().min(0), w: z.number().int().min(1), h: z.number().int().min(1) }),
  targets: z.array(z.looseObject({ refId: z.string(), rawQuery: z.literal(true), query: z.string().min(1), resultFormat: z.enum(['time_series', 'table']) })).min(1),
});
export type Panel = z.infer<typeof panelSchema>;

export const variableSchema = z.looseObject({
  name: z.string().regex(/^[a-z_][a-z0-9_]*$/),
  type: z.literal('query'),
  datasource: datasourceRef,
  query: z.string().min(1),
});

export const dashboardSchema = z.looseObject({
  uid: z.string().regex(/^parcours-[a-z0-9-]+$/),
  title: z.string().min(1),
  schemaVersion: z.number().int().min(39),
  templating: z.object({ list: z.array(variableSchema) }),
  panels: z.array(panelSchema).min(1),
});
export type Dashboard = z.infer<typeof dashboardSchema>;
