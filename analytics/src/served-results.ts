import { attributedCollectives, sessionId, type Journey, type ServedJourney, type ServedSession, type UsageSession } from '@parcours/contracts';
import { splitJourneys, type JourneyStep, type PendingJourney } from './journeys/journey-builder.js';
import type { JourneyStore } from './journeys/journey-store.js';
import { rulesOf, type OpenSession, type SessionRules } from './sessions/session-builder.js';
import { servedClosedSession, type CollectivesAt } from './sessions/session-output.js';
import type { SessionStore } from './sessions/session-store.js';

export type StatusFilter = 'open' | 'closed' | 'all';

export interface ServedResultsDeps {
  sessions: SessionStore;
  journeys: JourneyStore;
  rules: SessionRules;
  gapMs: number;
  /** The collectives an individual belonged to at t, from the registry. */
  collectivesAt: CollectivesAt;
  /** The registry's type of an individual, for the journeys of someone using another subject's device. */
  individualType: (individualId: string) => string | null;
}

interface Range {
  from: number;
  to: number;
  limit: number;
  status: StatusFilter;
}

const byStart = <T extends { start: number; id: string }>(a: T, b: T) => a.start - b.start || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The device time by which an open session closes at the latest: idle since its latest message, or cut at its maximum length. */
export function sessionClosesBy(open: OpenSession, rules: SessionRules): number {
  const { idleTimeoutMs, maxLengthMs } = rulesOf(rules, open.deviceType);
  return Math.min(open.lastSeen + idleTimeoutMs, open.start + maxLengthMs);
}

/**
 * The sessions and journeys the API serves: the closed ones from the store, and on request the open
 * ones as the last committed batch left them (open sessions, and the journeys of the pending steps and
 * open sessions of a subject), each with its status and the collectives it was attributed to.
 */
export class ServedResults {
  constructor(private readonly deps: ServedResultsDeps) {}

  sessionsOfSubject(subjectId: string, range: Range): ServedSession[] {
    const closed = range.status === 'open' ? [] : this.deps.sessions.listForSubject(subjectId, range.from, range.to, range.limit);
    const open = range.status === 'closed' ? [] : this.deps.sessions.listOpen({ subjectId }, range.from, range.to);
    return this.merge(closed, open, range.limit);
  }

  sessionsOfDevice(deviceId: string, range: Range): ServedSession[] {
    const closed = range.status === 'open' ? [] : this.deps.sessions.listForDevice(deviceId, range.from, range.to, range.limit);
    const open = range.status === 'closed' ? [] : this.deps.sessions.listOpen({ deviceId }, range.from, range.to);
    return this.merge(closed, open, range.limit);
  }

  journeysOfSubject(subjectId: string, range: Range): ServedJourney[] {
    const closed: ServedJourney[] =
      range.status === 'open'
        ? []
        : this.deps.journeys.listForSubject(subjectId, range.from, range.to, range.limit).map((j) => ({ ...j, status: 'closed', closesBy: null }));
    const open = range.status === 'closed' ? [] : this.openJourneys(subjectId).filter((j) => j.start >= range.from && j.start < range.to);
    return [...closed, ...open].sort(byStart).slice(0, range.limit);
  }

  private merge(closed: readonly UsageSession[], open: readonly OpenSession[], limit: number): ServedSession[] {
    const served = [...closed.map((s) => servedClosedSession(s, this.deps.collectivesAt)), ...open.map((s) => this.openSession(s))];
    return served.sort(byStart).slice(0, limit);
  }

  private openSession(open: OpenSession): ServedSession {
    return {
      id: sessionId(open.deviceId, open.start),
      deviceId: open.deviceId,
      deviceType: open.deviceType,
      subjectId: open.subjectId,
      subjectKind: open.subjectKind,
      subjectType: open.subjectType,
      actor: open.actor,
      inferredActor: null,
      inferenceConfidence: null,
      start: open.start,
      end: open.lastSeen,
      durationS: (open.lastSeen - open.start) / 1000,
      events: open.events,
      closedBy: null,
      status: 'open',
      closesBy: sessionClosesBy(open, this.deps.rules),
      collectives: attributedCollectives(open, open.start, this.deps.collectivesAt),
    };
  }

  /**
   * The subject's journeys not closed yet: its pending steps (closed sessions) and its open sessions (as
   * its owner, or its reported actor), split at the journey gap. Each closes at the latest the gap after
   * the latest its sessions can end, an open session ending by its `closesBy`.
   */
  private openJourneys(subjectId: string): ServedJourney[] {
    const { sessions, journeys, rules, gapMs } = this.deps;
    const pending = journeys.pendingOf(subjectId);
    const open = sessions.listOpen({ subjectId }, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
    const subject = pending ?? this.subjectOf(subjectId, open);
    if (!subject) return [];
    const openSteps = open.map((s): JourneyStep => ({ sessionId: sessionId(s.deviceId, s.start), deviceType: s.deviceType, start: s.start, end: s.lastSeen }));
    const steps = [...(pending?.steps ?? []), ...openSteps];
    const latestEnd = new Map(steps.map((s) => [s.sessionId, s.end]));
    for (const s of open) latestEnd.set(sessionId(s.deviceId, s.start), sessionClosesBy(s, rules));
    return splitJourneys(subject, steps, gapMs).map((j: Journey) => ({
      ...j,
      status: 'open',
      closesBy: Math.max(...j.sessions.map((id) => latestEnd.get(id)!)) + gapMs,
    }));
  }

  /** Who a subject with open sessions and no pending journey is, from one of those sessions. */
  private subjectOf(subjectId: string, open: readonly OpenSession[]): Omit<PendingJourney, 'steps'> | null {
    const owned = open.find((s) => s.subjectId === subjectId);
    if (owned) return { subjectId, subjectKind: owned.subjectKind, subjectType: owned.subjectType };
    return open.length > 0 ? { subjectId, subjectKind: 'individual', subjectType: this.deps.individualType(subjectId) } : null;
  }
}
