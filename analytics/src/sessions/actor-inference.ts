import type { UsageSession } from '@parcours/contracts';
import type { LogRecord } from '@parcours/contracts';

/**
 * Who probably used a shared device when it did not say: the member of its collective whose personal
 * devices (toothbrush, phone-paired bike…) were active nearest the session's start. Marked as inferred,
 * never mixed with reported actors.
 */
export class PersonalActivity {
  /** Device times of each individual's personal-device messages, ascending. */
  private readonly times = new Map<string, number[]>();

  constructor(private readonly horizonMs: number) {}

  /** The latest device time seen. */
  private latest = Number.NEGATIVE_INFINITY;

  observe(records: readonly LogRecord[]): void {
    for (const record of records) {
      if (record.ts > this.latest) this.latest = record.ts;
      if (record.subjectKind !== 'individual' || record.subjectId === null) continue;
      const list = this.times.get(record.subjectId) ?? [];
      list.push(record.ts);
      if (list.length > 1 && list[list.length - 2]! > record.ts) list.sort((a, b) => a - b);
      this.times.set(record.subjectId, list);
    }
  }

  /**
   * Forgets what no session still to close could start near: activity more than the horizon before the
   * latest device time seen. Called after the sessions of a batch are inferred, so that a batch spanning
   * more than the horizon (a stream catching up) does not forget what its own first sessions need.
   */
  forget(): void {
    const oldest = this.latest - this.horizonMs;
    for (const [id, list] of this.times) {
      // Ascending: when the oldest stays, all do, and the list need not be copied (this runs per batch).
      if (list[0]! >= oldest) continue;
      const keep = list.filter((t) => t >= oldest);
      if (keep.length === 0) this.times.delete(id);
      else this.times.set(id, keep);
    }
  }

  /** Distance from t to the individual's nearest activity, or null when none. */
  distance(individualId: string, t: number): number | null {
    const list = this.times.get(individualId);
    if (!list || list.length === 0) return null;
    return Math.min(...list.map((time) => Math.abs(time - t)));
  }
}

/** The cap of an inferred confidence: it stays a guess, however close. */
const maxConfidence = 0.9;

/**
 * Closeness of each candidate is `1 - distance / window`; the nearest wins, with a confidence that is
 * its closeness times its share of all candidates' closeness (two equally near members: at most 0.45).
 */
export function inferActor(
  session: UsageSession,
  members: readonly string[],
  activity: PersonalActivity,
  windowMs: number,
): Pick<UsageSession, 'inferredActor' | 'inferenceConfidence'> {
  const none = { inferredActor: null, inferenceConfidence: null };
  if (session.actor !== null || session.subjectKind !== 'collective') return none;
  const scored = members
    .map((id) => ({ id, distance: activity.distance(id, session.start) }))
    .filter((c): c is { id: string; distance: number } => c.distance !== null && c.distance <= windowMs)
    .map((c) => ({ id: c.id, closeness: 1 - c.distance / windowMs }))
    .sort((a, b) => b.closeness - a.closeness || a.id.localeCompare(b.id));
  const best = scored[0];
  const total = scored.reduce((sum, c) => sum + c.closeness, 0);
  if (!best || total === 0) return none;
  return { inferredActor: best.id, inferenceConfidence: Math.round(Math.min(maxConfidence, best.closeness * (best.closeness / total)) * 1000) / 1000 };
}

/** The inference as the session jobs use it: watch personal-device activity, then enrich closed sessions. */
export class ActorInference {
  private readonly activity: PersonalActivity;

  constructor(
    private readonly windowMs: number,
    horizonMs: number,
    /** Members of a collective at t, from the registry as of t. */
    private readonly membersAt: (collectiveId: string, t: number) => string[],
  ) {
    this.activity = new PersonalActivity(horizonMs + windowMs);
  }

  observe(records: readonly LogRecord[]): void {
    this.activity.observe(records);
  }

  /** Infers the actor of the sessions a batch closed, then forgets the activity no later session can need. */
  apply(sessions: UsageSession[]): UsageSession[] {
    const inferred = sessions.map((s) =>
      s.subjectId === null ? s : { ...s, ...inferActor(s, this.membersAt(s.subjectId, s.start), this.activity, this.windowMs) },
    );
    this.activity.forget();
    return inferred;
  }
}
