import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import { z } from 'zod';

/** The uid of the provisioned datasource (provisioning/datasources/influxdb.yaml); every panel, query and variable uses it. */
export const datasourceUid = 'parcours-influxdb';

/** The reference to the provisioned datasource. */
export const influxdb = { type: 'influxdb', uid: datasourceUid } as const;

const datasourceRefSchema = z.object({ type: z.literal(influxdb.type), uid: z.literal(datasourceUid) });

/**
 * A raw InfluxQL query as Grafana's InfluxDB datasource keeps it in a panel (its `InfluxQuery`, which the SDK
 * does not model): the part Parcours writes, and what the end-to-end test runs against a real InfluxDB.
 */
export const influxQLQuerySchema = z.object({
  refId: z.string().min(1),
  hide: z.boolean().optional(),
  datasource: datasourceRefSchema.optional(),
  rawQuery: z.literal(true),
  query: z.string().min(1),
  resultFormat: z.enum(['time_series', 'table']),
  /** The series' names, with `$tag_<key>` and `$col`. */
  alias: z.string().optional(),
});

export type InfluxQLQuery = z.infer<typeof influxQLQuerySchema> & Dataquery;

/** Whether a datasource reference names the provisioned datasource. */
export const isDatasourceRef = (ref: unknown): boolean => datasourceRefSchema.safeParse(ref).success;

/** Builds an `InfluxQLQuery` the way the SDK builds the queries of the datasources it knows. */
export class InfluxQLQueryBuilder implements Builder<Dataquery> {
  private readonly internal: InfluxQLQuery;

  constructor(query: string) {
    this.internal = {
      refId: 'A',
      datasource: influxdb,
      rawQuery: true,
      query,
      resultFormat: 'time_series',
      _implementsDataqueryVariant() {},
    };
  }

  build(): InfluxQLQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  /** Rows as InfluxDB returns them, tags as columns, rather than one series per tag set. */
  table(): this {
    this.internal.resultFormat = 'table';
    return this;
  }

  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }
}
