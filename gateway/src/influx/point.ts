/** One InfluxDB point; `intFields` are written as integers (`42i`), `fields` numbers as floats. */
export interface InfluxPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | boolean | string>;
  intFields?: Record<string, number>;
  timestampMs: number;
}

const escapeMeasurement = (s: string) => s.replace(/[\\, ]/g, (c) => `\\${c}`);
const escapeKey = (s: string) => s.replace(/[\\,= ]/g, (c) => `\\${c}`);
const escapeString = (s: string) => s.replace(/["\\]/g, (c) => `\\${c}`);

/** Line protocol with ms precision; tags sorted by key, empty tag values left out. */
export function toLineProtocol(point: InfluxPoint): string {
  const tags = Object.keys(point.tags)
    .sort()
    .filter((key) => point.tags[key] !== '')
    .map((key) => `,${escapeKey(key)}=${escapeKey(point.tags[key]!)}`)
    .join('');
  const fields = [
    ...Object.entries(point.fields).map(([key, value]) => {
      const text = typeof value === 'string' ? `"${escapeString(value)}"` : String(value);
      return `${escapeKey(key)}=${text}`;
    }),
    ...Object.entries(point.intFields ?? {}).map(([key, value]) => `${escapeKey(key)}=${Math.trunc(value)}i`),
  ].join(',');
  return `${escapeMeasurement(point.measurement)}${tags} ${fields} ${Math.trunc(point.timestampMs)}`;
}
