import { measurements, tags, type UsageSession } from '@parcours/contracts';
import { writeIsolatingRefused, type EventLog, type InfluxWriter } from '@parcours/gateway';
import type { Logger } from 'pino';
import type { ActorInference } from './actor-inference.js';
import { longestSession, SessionBuilder, type SessionRules } from './session-builder.js';
import { sessionPoint } from './session-output.js';
import type { SessionStore } from './session-store.js';

/**
 * Batch re-derivation of the usage sessions of some devices that start in `[from, to)`, from the log in
 * device-time order: the sessions are replaced (same ids), never added, in the store and in InfluxDB.
 * Events up to one maximum session length after `to` are read so that sessions crossing `to` close.
 */
export async function rederiveSessions(
  deps: { log: EventLog; store: SessionStore; rules: SessionRules; influx: InfluxWriter | null; logger: Logger; inference: ActorInference | null },
  devices: ReadonlySet<string>,
  from: number,
  to: number,
): Promise<UsageSession[]> {
  const builder = new SessionBuilder(deps.rules);
  const closed: UsageSession[] = [];
  const longest = longestSession(deps.rules);
  // Personal activity from before `from` too, for the inference of sessions starting right at `from`.
  for (const chunk of deps.log.readTimeRange(from - (deps.inference ? longest : 0), to + longest)) {
    deps.inference?.observe(chunk);
    const built = builder.apply(chunk.filter((record) => devices.has(record.deviceId) && record.ts >= from));
    // Inferred as each chunk closes them, like the streaming job per batch: the activity they need is
    // pruned as the read moves on, so a range longer than that horizon inferred at the end finds none.
    closed.push(...(deps.inference ? deps.inference.apply(built) : built));
  }
  const sessions = closed.filter((s) => s.start >= from && s.start < to);
  deps.store.replace(devices, from, to, sessions);
  if (deps.influx) {
    for (const device of devices) await deps.influx.deleteRange({ measurement: measurements.usageSession, tags: { [tags.device]: device }, from, to });
    await writeIsolatingRefused(deps.influx, sessions.map(sessionPoint), (point, error) => {
      deps.logger.error({ point, reason: error.message }, 'InfluxDB refused a session point; the session stays in the store');
    });
  }
  return sessions;
}
