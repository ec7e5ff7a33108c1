import { measurements, tags, type Journey } from '@parcours/contracts';
import { writeIsolatingRefused, type InfluxWriter } from '@parcours/gateway';
import type { Logger } from 'pino';
import type { OpenSession } from '../sessions/session-builder.js';
import type { SessionBatch, SessionFollower } from '../sessions/session-job.js';
import type { SessionStore } from '../sessions/session-store.js';
import { journeyUpdates } from '../result-updates.js';
import { JourneyBuilder, splitJourneys } from './journey-builder.js';
import { journeyPoint } from './journey-output.js';
import type { JourneyStore } from './journey-store.js';
import { journeySubjects, rebuildSubjectJourneys } from './rederive-journeys.js';

export interface JourneyJobDeps {
  store: JourneyStore;
  sessions: SessionStore;
  gapMs: number;
  individualType: (individualId: string) => string | null;
  influx: InfluxWriter | null;
  publish: (topic: string, payload: string) => Promise<void>;
  baseTopic: string;
  logger: Logger;
  /** Told how many subjects' journeys a settle rebuilt. */
  onRebuilt?: (subjects: number) => void;
}

/**
 * Streaming journeys, fed by the sessions job's batches: closed sessions join pending journeys, and the
 * batch's watermark closes them. Closed journeys go to InfluxDB and MQTT before the pending state is
 * committed with the sessions, so a restart resumes where the last committed batch left off.
 */
export class JourneyJob implements SessionFollower {
  private builder: JourneyBuilder | null = null;
  /** Whether the store may hold re-derivations to do (true at start: a crash may have left some). */
  private unsettled = true;

  constructor(private readonly deps: JourneyJobDeps) {}

  start(): void {
    this.builder = new JourneyBuilder(this.deps.gapMs, this.deps.individualType, this.deps.store.loadPending());
  }

  async handle(batch: SessionBatch, signal: AbortSignal): Promise<() => void> {
    const { deps } = this;
    if (!this.builder) throw new Error('journey job not started');
    const draft = new JourneyBuilder(deps.gapMs, deps.individualType, structuredClone(this.builder.pendingJourneys()));
    // Subjects with re-derived sessions, or with a new session that a journey already closed could have
    // taken (a device that was offline): their journeys are rebuilt from the store once the sessions are in it.
    const rederive = new Map<string, number>();
    const mark = (subject: string, from: number) => rederive.set(subject, Math.min(from, rederive.get(subject) ?? Number.POSITIVE_INFINITY));
    for (const session of [...batch.rederived, ...batch.replaced]) for (const subject of journeySubjects([session])) mark(subject, session.start);
    const rederived = new Set(batch.rederived.map((s) => s.id));
    for (const session of batch.closed) {
      if (rederived.has(session.id)) continue;
      for (const subject of journeySubjects([session])) {
        const latest = deps.store.latestFor(subject);
        if (latest && session.start <= latest.end + deps.gapMs) mark(subject, session.start);
      }
    }
    for (const [subject, start] of draft.drop(rederive.keys())) rederive.set(subject, Math.min(start, rederive.get(subject)!));
    draft.add(batch.closed, new Set(rederive.keys()));
    const closed = draft.advance(batch.watermark, batch.open);
    await this.output(closed, [], new Set(), signal);
    return () => {
      deps.store.save(closed, draft.pendingJourneys());
      deps.store.addRederivations(rederive);
      if (rederive.size > 0) this.unsettled = true;
      this.builder = draft;
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
      if (deps.influx)
        await deps.influx.deleteRange({ measurement: measurements.journey, tags: { [tags.subject]: subjectId }, from: r.from, to: r.to + 1 }, { signal });
      // Journeys whose id is gone (merged into another, or their start moved) are announced removed, unless pending again.
      const pendingIds = new Set(r.pending ? splitJourneys(r.pending, r.pending.steps, deps.gapMs).map((j) => j.id) : []);
      await this.output(r.closed, r.replaced, pendingIds, signal);
      deps.store.settle(subjectId, r.from, r.to, r.closed, r.pending);
      this.builder!.setPending(subjectId, r.pending);
      deps.onRebuilt?.(1);
    }
    this.unsettled = false;
  }

  /** Takes the pending journeys of these subjects from the store, after a batch re-derivation rebuilt them there. */
  reload(subjects: Iterable<string>): void {
    for (const subjectId of subjects) this.builder?.setPending(subjectId, this.deps.store.pendingOf(subjectId));
  }

  /** Journeys to InfluxDB, and to MQTT as updates of the versions they replace. */
  private async output(journeys: readonly Journey[], replaced: readonly Journey[], pending: ReadonlySet<string>, signal: AbortSignal): Promise<void> {
    const { deps } = this;
    if (deps.influx && journeys.length > 0) {
      await writeIsolatingRefused(
        deps.influx,
        journeys.map(journeyPoint),
        (point, error) => {
          deps.logger.error({ point, reason: error.message }, 'InfluxDB refused a journey point; the journey stays in the store');
        },
        signal,
      );
    }
    for (const message of journeyUpdates(deps.baseTopic, replaced, journeys, pending)) await deps.publish(message.topic, message.payload);
  }
}
