import type { DataTransformerConfig } from '@grafana/grafana-foundation-sdk/dashboard';

/*
 * The SDK types a transformation as `{ id, options: any }`: these give the options of the transformations the
 * dashboards use the shape of Grafana's transformers (their `…TransformerOptions` in @grafana/data).
 */

/** Joins the frames of a query into one table. */
export const merge = (): DataTransformerConfig => ({ id: 'merge', options: {} });

/** Hides, orders and renames fields. */
export const organize = (options: {
  excludeByName?: Record<string, boolean>;
  indexByName?: Record<string, number>;
  renameByName?: Record<string, string>;
}): DataTransformerConfig => ({ id: 'organize', options });

export const sortBy = (sort: { field: string; desc?: boolean }[]): DataTransformerConfig => ({ id: 'sortBy', options: { sort } });

/** Groups rows by the `groupby` fields and reduces the `aggregate` ones with Grafana's reducers (count, mean…). */
export const groupBy = (fields: Record<string, { operation: 'groupby' | 'aggregate'; aggregations: string[] }>): DataTransformerConfig => ({
  id: 'groupBy',
  options: { fields },
});

/** Pivots rows into a matrix: one row per `rowField` value, one column per `columnField` value. */
export const groupingToMatrix = (options: {
  rowField: string;
  columnField: string;
  valueField: string;
  emptyValue?: 'null' | 'empty' | 'zero';
}): DataTransformerConfig => ({ id: 'groupingToMatrix', options });

/** The first rows only. */
export const limit = (limitField: number): DataTransformerConfig => ({ id: 'limit', options: { limitField } });
