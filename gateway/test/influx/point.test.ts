import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/influx/backoff.js';
import { apiForVersion } from '../../src/influx/detect-version.js';
import { linesPerTurn, toLineProtocol, toLines, type InfluxPoint } from '../../src/influx/point.js';

describe('toLines', () => {
  it('serialises a large batch in order, letting the event loop turn between chunks', async () => {
    const points: InfluxPoint[] = Array.from({ length: linesPerTurn * 2 + 1 }, (_, i) => ({ measurement: 'm', tags: {}, fields: { v: i }, timestampMs: i }));
    let turns = 0;
    let turning = true;
    const turn = () => {
      turns += 1;
      if (turning) setImmediate(turn);
    };
    setImmediate(turn);
    const lines = await toLines(points);
    turning = false;
    expect(lines).toEqual(points.map(toLineProtocol));
    expect(turns).toBeGreaterThanOrEqual(2);
  });
});

describe('toLineProtocol', () => {
  it('sorts tags, types fields and writes nanoseconds', () => {
    expect(
      toLineProtocol({
        measurement: 'telemetry',
        tags: { subject: 'home', device: 'tv-1' },
        fields: { power_w: 95, on: true },
        timestampMs: 1_700_000_000_123,
      }),
    ).toBe('telemetry,device=tv-1,subject=home power_w=95,on=true 1700000000123000000');
  });

  it('escapes what line protocol requires', () => {
    const line = toLineProtocol({
      measurement: 'usage event',
      tags: { 'de,vice': 'a b=c', empty: '' },
      fields: { type: 'say "hi" \\ there' },
      intFields: { seq: 42 },
      timestampMs: 1,
      subMsNs: 7,
    });
    expect(line).toBe('usage\\ event,de\\,vice=a\\ b\\=c type="say \\"hi\\" \\\\ there",seq=42i 1000007');
  });
});

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with full jitter, and honours Retry-After', () => {
    expect(backoffDelay(0, () => 1)).toBe(200);
    expect(backoffDelay(3, () => 1)).toBe(1600);
    expect(backoffDelay(20, () => 1)).toBe(30_000);
    expect(backoffDelay(3, () => 0.5)).toBe(800);
    expect(backoffDelay(0, () => 0.5, undefined, 5000)).toBe(5000);
  });
});

describe('apiForVersion', () => {
  it('uses /write before 1.8 and /api/v2/write from 1.8 on', () => {
    expect(apiForVersion('1.6.7~rc0')).toBe('v1');
    expect(apiForVersion('1.7.11')).toBe('v1');
    expect(apiForVersion('1.8.10')).toBe('v2');
    expect(apiForVersion('v2.7.4')).toBe('v2');
    expect(apiForVersion('3.0.1')).toBe('v2');
  });
});
