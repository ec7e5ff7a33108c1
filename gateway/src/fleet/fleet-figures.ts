import { fleetMinutes, type Fleet, type QuarantineReason } from '@parcours/contracts';

const minuteMs = 60_000;

/** What the fleet's figures are read from: counts the stores answer. */
export interface FleetSources {
  registeredDevices: () => number;
  onlineDevices: () => number;
  /** Accepted messages received at or after `since`, by the start of their minute. */
  acceptedPerMinute: (since: number) => Map<number, number>;
  /** Quarantined messages received at or after `since`, by the start of their minute. */
  quarantinedPerMinute: (since: number) => Map<number, number>;
  quarantineByReason: () => Record<string, number>;
}

/** The start of the first of the minutes counted at `now`: the current minute is the last of them. */
export const firstCountedMinute = (now: number) => Math.floor(now / minuteMs) * minuteMs - (fleetMinutes - 1) * minuteMs;

/** The fleet at `now`, every minute of the hour present (an empty one counts 0), reasons most first. */
export function fleetFigures(sources: FleetSources, now: number): Fleet {
  const since = firstCountedMinute(now);
  const accepted = sources.acceptedPerMinute(since);
  const quarantined = sources.quarantinedPerMinute(since);
  const perMinute = Array.from({ length: fleetMinutes }, (_, i) => {
    const start = since + i * minuteMs;
    return { start, accepted: accepted.get(start) ?? 0, quarantined: quarantined.get(start) ?? 0 };
  });
  const byReason = Object.entries(sources.quarantineByReason())
    .map(([reason, count]) => ({ reason: reason as QuarantineReason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return {
    at: now,
    devices: { registered: sources.registeredDevices(), online: sources.onlineDevices() },
    perMinute,
    quarantine: { held: byReason.reduce((sum, r) => sum + r.count, 0), byReason },
  };
}
