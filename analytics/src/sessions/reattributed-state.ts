import type { LogReader } from '@parcours/contracts';
import { SessionBuilder, type DeviceState, type OpenSession, type SessionRules } from './session-builder.js';

export interface ReattributionDeps {
  log: LogReader;
  rules: SessionRules;
  /** The last log offset the stream has applied: the state holds what the records up to it made. */
  upTo: number;
}

/**
 * The stream's state of these devices after a registry correction rewrote their records: each session
 * it holds with its attribution — the open one, the one the idle timeout closed (its late stop closes it
 * again) and the threshold one dropped as too short — takes the attribution its records now give it,
 * so that it closes where it now belongs. Returns the state of these devices only.
 */
export function reattributedState(
  deps: ReattributionDeps,
  devices: ReadonlySet<string>,
  open: readonly OpenSession[],
  states: readonly DeviceState[],
): { open: OpenSession[]; devices: DeviceState[] } {
  const again = (session: OpenSession) => attributedAgain(deps, session);
  return {
    open: open.filter((s) => devices.has(s.deviceId)).map(again),
    devices: states
      .filter((d) => devices.has(d.deviceId))
      .map((d) => ({
        ...d,
        ...(d.idleClosed ? { idleClosed: again(d.idleClosed) } : {}),
        ...(d.dropped ? { dropped: again(d.dropped) } : {}),
      })),
  };
}

/**
 * The session replayed from its start over its device's records up to its last message: its attribution
 * is that of its opening record and, for the actor, of the first of its events that named one, as the
 * builder decides it. Its other fields stay as the stream has them (its replay does not see the watermark).
 */
function attributedAgain(deps: ReattributionDeps, session: OpenSession): OpenSession {
  const builder = new SessionBuilder(deps.rules);
  builder.apply(deps.log.readDevice(session.deviceId, session.start, deps.upTo).filter((r) => r.ts <= session.lastSeen));
  const { dropped } = builder.deviceState(session.deviceId);
  // A dropped threshold session is dropped again by its last sample.
  const replayed = [builder.openSession(session.deviceId), dropped].find((s) => s?.start === session.start);
  // Its records no longer open it (not expected: a correction changes attribution only).
  if (!replayed) return session;
  const { deviceType, subjectId, subjectKind, subjectType, actor } = replayed;
  return { ...session, deviceType, subjectId, subjectKind, subjectType, actor };
}
