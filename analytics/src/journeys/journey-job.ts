import type { Logger } from 'pino';
import type { ResultWriter } from '../output/result-writer.js';
import { journeyChange } from '../result-updates.js';
import type { OpenSession } from '../sessions/session-builder.js';
import type { FollowerCommit, SessionBatch, SessionFollower } from '../sessions/session-job.js';
import type { SessionStore } from '../sessions/session-store.js';
import { heldBy, JourneyBuilder, type JourneyRules } from './journey-builder.js';
import type { JourneyStore } from './journey-store.js';
import { journeySubjects, rebuildChange, rebuildSubjectJourneys } from './rederive-journeys.js';

export interface JourneyJobDeps extends JourneyRules {
  store: JourneyStore;
  sessions: SessionStore;
  writer: ResultWriter;
  baseTopic: string;
  logger: Logger;
  /** Told how many subjects' journeys a settle rebuilt. */
  onRebuilt?: (subjects: number) => void;
}

/**
 * Streaming journeys, fed by the sessions job's batches: closed sessions join pending journeys, and the
 * batch's watermark closes them. Closed journeys go to InfluxDB, then into the sessions' commit with
 * their announcements and the pending state, so a restart resumes where the last committed batch left off.
 */
export class JourneyJob implements SessionFollower {
  private builder: JourneyBuilder;
  /** Whether the store may hold re-derivations to do (true at start: a crash may have left some). */
  private unsettled = true;

  constructor(private readonly deps: JourneyJobDeps) {
    this.builder = new JourneyBuilder(deps);
  }

  /** Resumes from the committed pending journeys. */
  start(): void {
    this.builder = new JourneyBuilder(this.deps, this.deps.store.loadPending());
  }

  async handle(batch: SessionBatch, signal: AbortSignal): Promise<FollowerCommit> {
    const { deps } = this;
    const draft = new JourneyBuilder(deps, structuredClone(this.builder.pendingJourneys()));
    // Subjects with re-derived sessions, or with a new session that a journey already closed could have
    // taken (a device that was offline): their journeys are rebuilt from the store once the sessions are in it.
    const rederive = new Map<string, number>();
    const mark = (subject: string, from: number) => rederive.set(subject, Math.min(from, rederive.get(subject) ?? Number.POSITIVE_INFINITY));
    for (const session of [...batch.rederived, ...batch.replaced]) for (const subject of journeySubjects([session], deps.ambient)) mark(subject, session.start);
    const rederived = new Set(batch.rederived.map((s) => s.id));
    for (const session of batch.closed) {
      if (rederived.has(session.id)) continue;
      for (const subject of journeySubjects([session], deps.ambient)) {
        const latest = deps.store.latestFor(subject);
        if (latest && session.start <= latest.end + deps.gapMs) mark(subject, session.start);
      }
    }
    // A re-derived device's open session may hold journeys closed while it was not open (it is again: the late
    // record that reopened it came after them), those of its collective's members too: rebuilt, they wait again.
    const rederivedDevices = new Set([...batch.rederived, ...batch.replaced].map((s) => s.deviceId));
    for (const open of batch.open) if (rederivedDevices.has(open.deviceId)) for (const subject of heldBy(open, deps)) mark(subject, open.start);
    for (const [subject, start] of draft.drop(rederive.keys())) rederive.set(subject, Math.min(start, rederive.get(subject)!));
    // The batch's sessions are not added for these subjects: the rebuild takes them from the store, so it
    // starts at the earliest (one closed in the batch before a late record re-derived its device from a later one).
    for (const session of batch.closed) for (const subject of journeySubjects([session], deps.ambient)) if (rederive.has(subject)) mark(subject, session.start);
    draft.add(batch.closed, new Set(rederive.keys()));
    const closed = draft.advance(batch.watermark, batch.open);
    const change = journeyChange(deps.baseTopic, [], [], closed, new Set());
    await deps.writer.replacePoints(change, signal);
    return {
      messages: change.messages,
      commit: () => {
        deps.store.save(closed, draft.pendingJourneys());
        deps.store.addRederivations(rederive);
        if (rederive.size > 0) this.unsettled = true;
        this.builder = draft;
      },
    };
  }

  /**
   * Rebuilds the journeys of the subjects whose sessions were re-derived, from the stored sessions: from
   * the first stored journey still joinable from the earliest change, those that can no longer grow
   * replace the stored ones (same ids) and the rest becomes the subject's pending journey.
   */
  async settle(state: { watermark: number; open: readonly OpenSession[] }, signal: AbortSignal): Promise<void> {
    const { deps } = this;
    // Only after a batch that asked for some, or left some by crashing before they were done (at start).
    if (!this.unsettled) return;
    for (const { subjectId, from } of deps.store.listRederivations()) {
      const r = rebuildSubjectJourneys({ ...deps, journeys: deps.store }, subjectId, from, state);
      await deps.writer.replace(
        rebuildChange(deps.baseTopic, deps.gapMs, subjectId, r),
        () => deps.store.settle(subjectId, r.from, r.to, r.closed, r.pending),
        signal,
      );
      this.builder.setPending(subjectId, r.pending);
      deps.onRebuilt?.(1);
    }
    this.unsettled = false;
  }

  /** Takes the pending journeys of these subjects from the store, after a batch re-derivation rebuilt them there. */
  reload(subjects: Iterable<string>): void {
    for (const subjectId of subjects) this.builder.setPending(subjectId, this.deps.store.pendingOf(subjectId));
  }
}
