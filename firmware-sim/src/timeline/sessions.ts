import { pick, poisson, rngFor, triangular, uniform, type Rng } from '../prng.js';
import type { WorldDevice } from '../scenario/schema.js';
import { ownerAt, type WorldIndex } from '../world/world-index.js';
import { drawDuration, type DraftSession, type PlanBook } from './plans.js';
import { dayMs, hourMs, weekdayOf } from './time.js';

/** One usage session of a device, as the routine produced it. */
export interface SimSession {
  startMs: number;
  endMs: number;
  /** Who used it (null when the routine does not say); events name them only if the device reports actors. */
  user: string | null;
  /** Times of `interaction` events, strictly inside (startMs, endMs), increasing. */
  interactions: number[];
}

/** Sessions of a device on one day are at least this far apart (across midnight, at least 1 ms). */
const minGapMs = 1000;

/** Up to one a day, a habit happens or not (a Poisson draw would give two morning heating periods a quarter of the time). */
function sessionCount(rng: Rng, mean: number): number {
  return mean <= 1 ? (rng() < mean ? 1 : 0) : poisson(rng, mean);
}

/**
 * The sessions starting on one UTC day, drawn from the routine and the day's plans (sequences, visitors),
 * with no knowledge of other days. A routine session happens only while the device is assigned and, when
 * the window names users, by one who may use it then (a member who moved out no longer does). Sessions
 * that would overlap are pushed back, as a queue at a coffee machine would be; one whose user may no
 * longer use the device by then is dropped.
 */
function draftSessions(device: WorldDevice, seed: number, day: number, planned: DraftSession[], index: WorldIndex): SimSession[] {
  const rng = rngFor(seed, 'sessions', device.id, day);
  const dayStart = day * dayMs;
  const weekday = weekdayOf(day);
  const drafts: DraftSession[] = [];
  for (const window of device.routine.windows) {
    const count = sessionCount(rng, window.perDay * (window.days[weekday] ?? 0));
    const peak = window.peak ?? (window.from + window.to) / 2;
    for (let i = 0; i < count; i++) {
      const startMs = dayStart + Math.floor(triangular(rng, window.from, peak, window.to) * hourMs);
      const durationMs = drawDuration(rng, window.duration);
      const owner = ownerAt(device, startMs);
      const users = window.users?.filter((u) => index.mayUse(u, owner, startMs));
      const user = users && users.length > 0 ? pick(rng, users) : null;
      const interactions = poisson(rng, window.interactions);
      if (owner !== null && (users === undefined || user !== null)) drafts.push({ startMs, durationMs, user, interactions });
    }
  }
  drafts.push(...planned.filter((d) => ownerAt(device, d.startMs) !== null));
  drafts.sort((a, b) => a.startMs - b.startMs);

  const sessions: SimSession[] = [];
  let previousEnd = -Infinity;
  for (const draft of drafts) {
    let startMs = draft.startMs;
    if (startMs < previousEnd + minGapMs) {
      startMs = previousEnd + Math.round(uniform(rng, 30_000, 180_000));
      // A named user who may no longer use the device by then (a renter whose rental ended) leaves the queue.
      if (draft.user !== null && !index.mayUse(draft.user, ownerAt(device, startMs), startMs)) continue;
    }
    // A session belongs to the day it starts on; one pushed past midnight is dropped.
    if (startMs >= dayStart + dayMs) break;
    const endMs = startMs + draft.durationMs;
    const times = new Set<number>();
    for (let k = 0; k < draft.interactions; k++) times.add(startMs + 1 + Math.floor(rng() * (draft.durationMs - 1)));
    sessions.push({ startMs, endMs, user: draft.user, interactions: [...times].sort((a, b) => a - b) });
    previousEnd = endMs;
  }
  return sessions;
}

/**
 * Sessions of every device and day, memoised for one timeline computation. A day's sessions are its
 * drafts minus those that start before the previous day's last session has ended. Because no session is
 * longer than 12 h, a session that spills past midnight started after noon, later than anything spilling
 * from the day before, so it is never dropped itself: looking back one day is enough, and the result
 * depends only on (seed, device, day).
 */
export class SessionBook {
  private readonly drafts = new Map<string, SimSession[]>();
  private readonly days = new Map<string, SimSession[]>();

  constructor(
    private readonly seed: number,
    private readonly plans: PlanBook,
    private readonly index: WorldIndex,
  ) {}

  sessions(device: WorldDevice, day: number): SimSession[] {
    const key = `${device.id}|${day}`;
    let sessions = this.days.get(key);
    if (!sessions) {
      const spillEnd = this.draftsOf(device, day - 1).at(-1)?.endMs ?? -Infinity;
      sessions = this.draftsOf(device, day).filter((s) => s.startMs > spillEnd);
      this.days.set(key, sessions);
    }
    return sessions;
  }

  private draftsOf(device: WorldDevice, day: number): SimSession[] {
    const key = `${device.id}|${day}`;
    let drafts = this.drafts.get(key);
    if (!drafts) {
      drafts = draftSessions(device, this.seed, day, this.plans.drafts(device.id, day), this.index);
      this.drafts.set(key, drafts);
    }
    return drafts;
  }
}
