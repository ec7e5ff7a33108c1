import type { UsageSession } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { aggregateSharedUsage, type ShareSession } from '../../src/aggregates/usage-shares.js';

function session(durationS: number, who: Partial<UsageSession> = {}): ShareSession {
  return { deviceId: 'cm', deviceType: 'coffee_machine', subjectId: 'home', subjectKind: 'collective', actor: null, inferredActor: null, durationS, ...who };
}

describe('aggregateSharedUsage', () => {
  it("splits a shared device's use by reported actor, by inferred actor apart, and the unattributed rest", () => {
    const [usage, ...others] = aggregateSharedUsage([
      session(300, { actor: 'ana' }),
      session(100, { actor: 'ana' }),
      session(200, { actor: 'ben' }),
      session(200, { inferredActor: 'ana' }),
      session(200),
      session(60, { deviceId: 'toothbrush', deviceType: 'toothbrush', subjectId: 'ana', subjectKind: 'individual', actor: 'ana' }),
    ]);
    expect(others).toEqual([]);
    expect(usage).toEqual({
      deviceId: 'cm',
      deviceType: 'coffee_machine',
      subjectId: 'home',
      sessions: 5,
      durationS: 1000,
      reported: [
        { actor: 'ana', sessions: 2, durationS: 400, share: 0.4 },
        { actor: 'ben', sessions: 1, durationS: 200, share: 0.2 },
      ],
      inferred: [{ actor: 'ana', sessions: 1, durationS: 200, share: 0.2 }],
      unattributed: { sessions: 1, durationS: 200, share: 0.2 },
    });
  });

  it("shares by sessions when every session lasted 0 s, and keeps a device's collectives apart", () => {
    const usage = aggregateSharedUsage([session(0, { actor: 'ana' }), session(0), session(0), session(0, { subjectId: 'office', actor: 'carl' })]);
    expect(usage.map((u) => [u.subjectId, u.reported.map((m) => [m.actor, m.share]), u.unattributed.share])).toEqual([
      ['home', [['ana', 1 / 3]], 2 / 3],
      ['office', [['carl', 1]], 0],
    ]);
  });
});
