import { configSchema } from '@parcours/contracts';
import { createInfluxWriter, type InfluxWriter, replaceRanges } from '@parcours/gateway';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxDB, type InfluxServer } from '../tools/services/index.js';

const t = 1_700_000_000_000;
const minute = 60_000;
const session = (device: string, subject: string, start: number, duration: number | string) => ({
  measurement: 'usage_session',
  tags: { device, subject },
  fields: { duration_s: duration },
  timestampMs: start,
});

let server: InfluxServer;
let writer: InfluxWriter;

beforeAll(async () => {
  server = await startInfluxDB();
  writer = createInfluxWriter(configSchema.parse({ influx: { url: server.url, database: 'replace_test' } }).influx, pino({ level: 'silent' }));
});
afterAll(async () => {
  await server?.stop();
});

async function rows(q: string): Promise<unknown[][]> {
  const body = (await server.query(q, 'replace_test')) as { results: { series?: { values: unknown[][] }[] }[] };
  return body.results[0]?.series?.[0]?.values ?? [];
}

describe('replaceRanges against a real InfluxDB', () => {
  it('replaces a series over a range, even by points with other tags, and leaves the rest', async () => {
    await writer.write([session('tv', 'home', t, 60), session('tv', 'home', t + 10 * minute, 60), session('tv', 'home', t + 30 * minute, 60)]);
    await writer.write([session('radio', 'home', t, 60)]);
    const refused: unknown[] = [];
    // The first two sessions were in fact the office's, and the second one's value is refused for good.
    await replaceRanges(
      writer,
      [{ measurement: 'usage_session', tags: { device: 'tv' }, from: t, to: t + 20 * minute }],
      [[session('tv', 'office', t, 120)], [session('tv', 'office', t + 10 * minute, 'oops')]],
      (point) => refused.push(point.fields.duration_s),
    );
    expect(refused).toEqual(['oops']);
    expect(await rows(`SELECT duration_s, subject FROM usage_session WHERE device = 'tv'`)).toEqual([
      [t, 120, 'office'],
      [t + 30 * minute, 60, 'home'],
    ]);
    expect(await rows(`SELECT duration_s FROM usage_session WHERE device = 'radio'`)).toEqual([[t, 60]]);
  });
});
