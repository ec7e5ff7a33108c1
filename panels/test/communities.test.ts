import { communityRecruitSchema, errorCodes } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { type CommunityBehaviour, recruitCommunity } from '../src/communities.js';
import type { UniverseMember } from '../src/universe.js';

/** Twelve panel members, half of them cyclists; each drawn into the panel with probability 0.1. */
const members: UniverseMember[] = Array.from({ length: 12 }, (_, i) => ({
  id: `p${String(i).padStart(2, '0')}`,
  attributes: { cyclist: i % 2 === 0 ? 'yes' : 'no' },
  usage: {},
}));
const panelProbability = new Map(members.map((m) => [m.id, 0.1]));
const none: CommunityBehaviour = { sessions: new Map(), funnels: [], weeksActive: null };

const request = (rules: Record<string, unknown>) => communityRecruitSchema.parse({ name: 'test', panelId: 'panel', size: 100, minSize: 1, ...rules });
const recruited = (rules: Record<string, unknown>, behaviour: Partial<CommunityBehaviour>) =>
  recruitCommunity(request(rules), members, panelProbability, { ...none, ...behaviour })
    .chosen.map((c) => c.individualId)
    .sort();

describe('the conditions of a community', () => {
  it('read a funnel step within a window, and whole weeks retained (8w, or a duration of whole weeks)', () => {
    const parsed = request({ funnels: [{ funnel: 'morning', step: 2 }], retained: { weeks: 3 } });
    expect(parsed.funnels).toEqual([{ funnel: 'morning', step: 2, within: 30 * 86_400_000 }]);
    expect(parsed.retained).toEqual({ weeks: 3, within: 8 });
    expect(request({ retained: { weeks: 3, within: '56d' } }).retained).toEqual(request({ retained: { weeks: 3, within: '8w' } }).retained);
    expect(request({}).funnels).toEqual([]);
    expect(request({}).retained).toBeNull();
  });

  it('refuse a window that is not whole weeks, more weeks than the window has, and a step 0', () => {
    const refused = (rules: Record<string, unknown>) =>
      communityRecruitSchema.safeParse({ name: 'test', panelId: 'panel', ...rules }).error?.issues.map((i) => i.path.join('.'));
    expect(refused({ retained: { weeks: 2, within: '30d' } })).toEqual(['retained.within']);
    expect(refused({ retained: { weeks: 2, within: '0w' } })).toEqual(['retained.within']);
    expect(refused({ retained: { weeks: 5, within: '4w' } })).toEqual(['retained.weeks']);
    expect(refused({ funnels: [{ funnel: 'morning', step: 0 }] })).toEqual(['funnels.0.step']);
  });
});

describe('recruiting on funnel steps reached', () => {
  it('keeps the members who reached the step of every funnel condition, and nobody outside the panel', () => {
    const morning = new Set(['p00', 'p01', 'p02', 'p03', 'stranger']);
    const evening = new Set(['p02', 'p03', 'p04']);
    expect(recruited({ funnels: [{ funnel: 'morning', step: 2 }] }, { funnels: [morning] })).toEqual(['p00', 'p01', 'p02', 'p03']);
    expect(
      recruited(
        {
          funnels: [
            { funnel: 'morning', step: 2 },
            { funnel: 'evening', step: 1 },
          ],
        },
        { funnels: [morning, evening] },
      ),
    ).toEqual(['p02', 'p03']);
  });

  it('combines with the attribute conditions', () => {
    const morning = new Set(['p00', 'p01', 'p02', 'p03']);
    const rules = { funnels: [{ funnel: 'morning', step: 2 }], attributes: [{ name: 'cyclist', in: ['yes'] }] };
    expect(recruited(rules, { funnels: [morning] })).toEqual(['p00', 'p02']);
  });
});

describe('recruiting on weeks retained', () => {
  const weeksActive = new Map(members.map((m, i) => [m.id, i % 5]));

  it('keeps the members active in at least the weeks asked, a member without any active week counting none', () => {
    for (const weeks of [1, 2, 4]) {
      const expected = members.filter((m) => (weeksActive.get(m.id) ?? 0) >= weeks).map((m) => m.id);
      expect(recruited({ retained: { weeks, within: '4w' } }, { weeksActive }), `${weeks} weeks`).toEqual(expected);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(members.length);
    }
    expect(() => recruited({ retained: { weeks: 1, within: '4w' } }, { weeksActive: new Map() })).toThrow(
      expect.objectContaining({ code: errorCodes.communityTooSmall }),
    );
  });

  it('takes both kinds of rule together: retained and past the funnel step', () => {
    const reached = new Set(['p01', 'p02', 'p03', 'p04', 'p05']);
    const both = recruited({ retained: { weeks: 3, within: '4w' }, funnels: [{ funnel: 'morning', step: 2 }] }, { weeksActive, funnels: [reached] });
    expect(both).toEqual([...reached].filter((id) => (weeksActive.get(id) ?? 0) >= 3).sort());
  });

  it('refuses a community too small, and carries the panel inclusion probability through a draw among the eligible', () => {
    const rules = { retained: { weeks: 1, within: '4w' } };
    const eligible = members.filter((m) => (weeksActive.get(m.id) ?? 0) >= 1).length;
    expect(() => recruitCommunity(request({ ...rules, minSize: eligible + 1 }), members, panelProbability, { ...none, weeksActive })).toThrow(
      expect.objectContaining({ code: errorCodes.communityTooSmall }),
    );
    const size = Math.floor(eligible / 2);
    const half = recruitCommunity(request({ ...rules, size }), members, panelProbability, { ...none, weeksActive });
    expect(half).toMatchObject({ eligible, chosen: { length: size } });
    for (const c of half.chosen) expect(c.draw.inclusionProbability).toBeCloseTo(0.1 * (size / eligible), 12);
  });
});
