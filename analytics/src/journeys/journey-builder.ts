import { journeyId, type Journey, type UsageSession } from '@parcours/contracts';

/** One session as a step of a journey: what the path, the span and the replacement of a session need. */
export interface JourneyStep {
  sessionId: string;
  deviceType: string;
  start: number;
  end: number;
}

/** A subject's closed sessions not yet in a closed journey. Plain data, so it can be persisted and restored. */
export interface PendingJourney {
  subjectId: string;
  subjectKind: Journey['subjectKind'];
  subjectType: string | null;
  steps: JourneyStep[];
}

/** What an open session tells about journeys: whose it may become, and from when. */
export type OpenSessionLike = Pick<UsageSession, 'deviceType' | 'subjectId' | 'subjectKind' | 'actor' | 'start'>;

/** What decides which sessions a journey takes and when it closes. */
export interface JourneyRules {
  gapMs: number;
  /** Type of an individual who used another subject's device (from the registry); null when unknown. */
  individualType: (individualId: string) => string | null;
  /** Members of a collective at t, from the registry as of t: who may yet be named the actor of a session there. */
  membersAt: (collectiveId: string, t: number) => string[];
  /** Whether devices of a type are ambient (a thermostat): their sessions are part of no journey. */
  ambient: (deviceType: string) => boolean;
}

/**
 * The individual a session also counts for: its reported actor. An inferred actor is a guess with a
 * confidence; it stays on the session (and in shared-usage shares, apart), out of journeys, which are
 * sequences of observed uses.
 */
export function sessionUser(session: Pick<UsageSession, 'actor'>): string | null {
  return session.actor;
}

export function toStep(session: UsageSession): JourneyStep {
  return { sessionId: session.id, deviceType: session.deviceType, start: session.start, end: session.end };
}

/** Start order; ties broken by device type then id, so that a re-derivation gives the same path. */
function byStart(a: JourneyStep, b: JourneyStep): number {
  return (
    a.start - b.start ||
    (a.deviceType < b.deviceType ? -1 : a.deviceType > b.deviceType ? 1 : 0) ||
    (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0)
  );
}

/**
 * Splits a subject's steps into journeys: a step starting more than `gapMs` after the latest end so
 * far begins a new journey (firmware-sim's `buildJourneys`, which the accuracy report compares with).
 */
export function splitJourneys(subject: Omit<PendingJourney, 'steps'>, steps: readonly JourneyStep[], gapMs: number): Journey[] {
  const journeys: Journey[] = [];
  let current: JourneyStep[] = [];
  let reach = Number.NEGATIVE_INFINITY;
  const close = () => {
    if (current.length === 0) return;
    const start = current[0]!.start;
    journeys.push({
      id: journeyId(subject.subjectId, start),
      subjectId: subject.subjectId,
      subjectKind: subject.subjectKind,
      subjectType: subject.subjectType,
      start,
      end: reach,
      durationS: (reach - start) / 1000,
      steps: current.length,
      path: current.map((s) => s.deviceType).join('>'),
      sessions: current.map((s) => s.sessionId),
    });
    current = [];
  };
  for (const step of [...steps].sort(byStart)) {
    if (step.start - reach > gapMs) close();
    current.push(step);
    reach = Math.max(reach, step.end);
  }
  close();
  return journeys;
}

/** The subjects whose journeys an open session may still join (`JourneyBuilder.advance`): none for an ambient one. */
export function heldBy(open: OpenSessionLike, rules: Pick<JourneyRules, 'membersAt' | 'ambient'>): string[] {
  if (rules.ambient(open.deviceType)) return [];
  const owner = open.subjectId === null ? [] : [open.subjectId];
  if (open.actor !== null) return [...owner, open.actor];
  return open.subjectKind === 'collective' && open.subjectId !== null ? [...owner, ...rules.membersAt(open.subjectId, open.start)] : owner;
}

/**
 * Streaming journeys. Closed sessions join the pending journeys of their subject and of their user;
 * a journey closes once the watermark (latest device time) is more than the gap past its end and no
 * open session that could still join it started before then. Sessions of ambient devices are part of
 * no journey. Pure: time only moves with its inputs.
 */
export class JourneyBuilder {
  private readonly pending: Map<string, PendingJourney>;

  constructor(
    private readonly rules: JourneyRules,
    pending: Iterable<PendingJourney> = [],
  ) {
    this.pending = new Map([...pending].map((p) => [p.subjectId, p]));
  }

  pendingJourneys(): PendingJourney[] {
    return [...this.pending.values()];
  }

  /** Adds closed sessions to the journeys of their subject and user, except for the subjects in `skip` and ambient sessions. */
  add(sessions: readonly UsageSession[], skip: ReadonlySet<string> = new Set()): void {
    for (const session of sessions) {
      if (this.rules.ambient(session.deviceType)) continue;
      if (session.subjectId !== null && !skip.has(session.subjectId)) {
        this.addStep({ subjectId: session.subjectId, subjectKind: session.subjectKind, subjectType: session.subjectType }, session);
      }
      const user = sessionUser(session);
      if (user !== null && user !== session.subjectId && !skip.has(user))
        this.addStep({ subjectId: user, subjectKind: 'individual', subjectType: this.rules.individualType(user) }, session);
    }
  }

  /** Removes the pending journeys of these subjects; returns the earliest start of each one removed. */
  drop(subjects: Iterable<string>): Map<string, number> {
    const starts = new Map<string, number>();
    for (const subjectId of subjects) {
      const pending = this.pending.get(subjectId);
      if (!pending) continue;
      starts.set(subjectId, Math.min(...pending.steps.map((s) => s.start)));
      this.pending.delete(subjectId);
    }
    return starts;
  }

  /** Sets a subject's pending journey (none: null), as a re-derivation left it. */
  setPending(subjectId: string, pending: PendingJourney | null): void {
    if (pending) this.pending.set(subjectId, pending);
    else this.pending.delete(subjectId);
  }

  /** Closes the journeys that nothing can join any more, given the sessions still open on any device. */
  advance(watermark: number, open: readonly OpenSessionLike[]): Journey[] {
    const { gapMs } = this.rules;
    const holdFrom = this.holds(open);
    const closed: Journey[] = [];
    for (const [subjectId, pending] of this.pending) {
      const journeys = splitJourneys(pending, pending.steps, gapMs);
      const done: Journey[] = [];
      for (const journey of journeys) {
        const joinableUntil = journey.end + gapMs;
        if (watermark <= joinableUntil || (holdFrom.get(subjectId) ?? Number.POSITIVE_INFINITY) <= joinableUntil) break;
        done.push(journey);
      }
      if (done.length === 0) continue;
      closed.push(...done);
      const emitted = new Set(done.flatMap((j) => j.sessions));
      const rest = pending.steps.filter((s) => !emitted.has(s.sessionId));
      if (rest.length === 0) this.pending.delete(subjectId);
      else pending.steps = rest;
    }
    return closed.sort((a, b) => a.start - b.start || (a.subjectId < b.subjectId ? -1 : a.subjectId > b.subjectId ? 1 : 0));
  }

  /**
   * Per subject, the earliest start of the open sessions that may still join its journeys: those of its
   * devices and those it is the actor of. A shared session without an actor may yet name one with a later
   * event, a member of its collective (the gateway checks): it holds the journeys of the members at its
   * start, later output rather than a journey cut in two (one who joined since is rebuilt if named). Ambient
   * sessions hold nothing.
   */
  private holds(open: readonly OpenSessionLike[]): Map<string, number> {
    const holdFrom = new Map<string, number>();
    for (const s of open) for (const id of heldBy(s, this.rules)) holdFrom.set(id, Math.min(s.start, holdFrom.get(id) ?? Number.POSITIVE_INFINITY));
    return holdFrom;
  }

  private addStep(subject: Omit<PendingJourney, 'steps'>, session: UsageSession): void {
    const pending = this.pending.get(subject.subjectId) ?? { ...subject, steps: [] };
    // The same session again (a re-derivation) replaces its step.
    pending.steps = [...pending.steps.filter((s) => s.sessionId !== session.id), toStep(session)];
    this.pending.set(subject.subjectId, pending);
  }
}
