import type { MemberShare, SharedUsage, UsageSession, UsageShare } from '@parcours/contracts';
import { compare } from './transitions.js';

export type ShareSession = Pick<UsageSession, 'deviceId' | 'deviceType' | 'subjectId' | 'subjectKind' | 'actor' | 'inferredActor' | 'durationS'>;

interface Tally {
  sessions: number;
  durationS: number;
}

const add = (tally: Tally | undefined, session: ShareSession): Tally => ({
  sessions: (tally?.sessions ?? 0) + 1,
  durationS: (tally?.durationS ?? 0) + session.durationS,
});

/**
 * How the members of a collective shared each of its devices: the sessions and duration of each reported
 * actor, those of each inferred actor apart (an inference is not an observation), and the unattributed
 * rest. A share is of the device's duration; of its sessions when they all lasted 0 s (single interactions).
 */
export function aggregateSharedUsage(sessions: Iterable<ShareSession>): SharedUsage[] {
  const devices = new Map<
    string,
    { deviceId: string; deviceType: string; subjectId: string; total: Tally; reported: Map<string, Tally>; inferred: Map<string, Tally>; none: Tally }
  >();
  for (const session of sessions) {
    if (session.subjectKind !== 'collective' || session.subjectId === null) continue;
    const key = JSON.stringify([session.deviceId, session.subjectId]);
    const device = devices.get(key) ?? {
      deviceId: session.deviceId,
      deviceType: session.deviceType,
      subjectId: session.subjectId,
      total: { sessions: 0, durationS: 0 },
      reported: new Map<string, Tally>(),
      inferred: new Map<string, Tally>(),
      none: { sessions: 0, durationS: 0 },
    };
    device.total = add(device.total, session);
    if (session.actor !== null) device.reported.set(session.actor, add(device.reported.get(session.actor), session));
    else if (session.inferredActor !== null) device.inferred.set(session.inferredActor, add(device.inferred.get(session.inferredActor), session));
    else device.none = add(device.none, session);
    devices.set(key, device);
  }
  return [...devices.values()]
    .map((d) => {
      const share = (tally: Tally): UsageShare => ({
        ...tally,
        share: d.total.durationS > 0 ? tally.durationS / d.total.durationS : tally.sessions / d.total.sessions,
      });
      const members = (byActor: Map<string, Tally>): MemberShare[] =>
        [...byActor].map(([actor, tally]) => ({ actor, ...share(tally) })).sort((a, b) => b.share - a.share || compare(a.actor, b.actor));
      return {
        deviceId: d.deviceId,
        deviceType: d.deviceType,
        subjectId: d.subjectId,
        sessions: d.total.sessions,
        durationS: d.total.durationS,
        reported: members(d.reported),
        inferred: members(d.inferred),
        unattributed: share(d.none),
      };
    })
    .sort((a, b) => compare(a.deviceId, b.deviceId) || compare(a.subjectId, b.subjectId));
}
