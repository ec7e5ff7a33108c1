import { setImmediate as nextTurn } from 'node:timers/promises';
/** One InfluxDB point. Numbers in `fields` are floats; `intFields` are written as integers (`42i`). */
export interface InfluxPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | boolean | string>;
  intFields?: Record<string, number>;
  timestampMs: number;
  /**
   * Nanoseconds added to the timestamp (0–999,999), to keep apart points that share a measurement, tags
   * and millisecond (two events of one device in the same ms) while a re-write still hits the same key.
   */
  subMsNs?: number;
}

const escapeMeasurement = (s: string) => s.replace(/[\\, \n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
const escapeKey = (s: string) => s.replace(/[\\,= \n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
const escapeString = (s: string) => s.replace(/["\\]/g, (c) => `\\${c}`);

function fieldValue(value: number | boolean | string): string {
  return typeof value === 'string' ? `"${escapeString(value)}"` : String(value);
}

/** Line protocol with nanosecond timestamps; tags sorted by key (InfluxDB's advice), empty tag values left out. */
export function toLineProtocol(point: InfluxPoint): string {
  const tags = Object.keys(point.tags)
    .sort()
    .filter((key) => point.tags[key] !== '')
    .map((key) => `,${escapeKey(key)}=${escapeKey(point.tags[key]!)}`)
    .join('');
  const fields = [
    ...Object.entries(point.fields).map(([key, value]) => `${escapeKey(key)}=${fieldValue(value)}`),
    ...Object.entries(point.intFields ?? {}).map(([key, value]) => `${escapeKey(key)}=${Math.trunc(value)}i`),
  ].join(',');
  const ns = BigInt(Math.trunc(point.timestampMs)) * 1_000_000n + BigInt(point.subMsNs ?? 0);
  return `${escapeMeasurement(point.measurement)}${tags} ${fields} ${ns}`;
}

/** Points serialised in one turn of the event loop at most: a batch of thousands held it for tens of milliseconds. */
export const linesPerTurn = 500;

/** The points' lines, `linesPerTurn` a turn of the event loop. */
export async function toLines(points: readonly InfluxPoint[]): Promise<string[]> {
  const lines: string[] = [];
  for (let i = 0; i < points.length; i += linesPerTurn) {
    if (i > 0) await nextTurn();
    for (const point of points.slice(i, i + linesPerTurn)) lines.push(toLineProtocol(point));
  }
  return lines;
}
