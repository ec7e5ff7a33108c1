import type { LogReader, UsageSession } from '@parcours/contracts';
import type { AggregateStore } from '../aggregates/aggregate-store.js';
import type { JourneyStore } from '../journeys/journey-store.js';
import type { JourneyRules } from '../journeys/journey-builder.js';
import { journeySubjects, rederiveJourneys } from '../journeys/rederive-journeys.js';
import type { ResultWriter } from '../output/result-writer.js';
import type { ActorInference } from '../sessions/actor-inference.js';
import { rederiveSessions, type DeviceSelection } from '../sessions/rederive-sessions.js';
import type { SessionRules } from '../sessions/session-builder.js';
import type { CollectivesAt } from '../sessions/session-output.js';
import type { SessionStore } from '../sessions/session-store.js';

/** What the batch jobs work on: the log, the analytics' stores and outputs, and their settings. */
export interface BatchDeps extends JourneyRules {
  log: LogReader;
  sessions: SessionStore;
  journeys: JourneyStore;
  writer: ResultWriter;
  rules: SessionRules;
  /** Null when switched off. */
  inference: ActorInference | null;
  baseTopic: string;
  /** The registry's collectives of an individual at t, announced with each session. */
  collectivesAt: CollectivesAt;
  /** Where the aggregates job marks the days to recompute (the run's end recomputes them). */
  aggregates: Pick<AggregateStore, 'markRange'>;
}

/** One run of some jobs over `[from, to)`, which the jobs pass on to the next ones in the list. */
export interface BatchRun {
  readonly from: number;
  readonly to: number;
  readonly devices: DeviceSelection;
  /** Subjects whose sessions a job changed or may have: the journeys job rebuilds theirs. */
  readonly subjects: Set<string>;
  /** Sessions re-derived by the sessions job. */
  sessions: UsageSession[];
  onProgress: (progress: BatchProgress) => void;
}

export interface BatchProgress {
  job: string;
  done: number;
  total: number;
  /** What `done` counts: `records`, `subjects`… */
  unit: string;
}

export interface BatchJobResult {
  job: string;
  /** How many results the job wrote, of what (`sessions`, `journeys`…). */
  count: number;
  unit: string;
}

/** A batch job of `parcours analytics run --job NAME`. Jobs run in the order of `batchJobs`. */
export interface BatchJob {
  name: string;
  description: string;
  run(deps: BatchDeps, run: BatchRun): Promise<BatchJobResult>;
}

const sessionsJob: BatchJob = {
  name: 'sessions',
  description: 'usage sessions, from the durable log',
  async run(deps, run) {
    const onProgress = (done: number, total: number) => run.onProgress({ job: 'sessions', done, total, unit: 'records' });
    const { sessions, replaced } = await rederiveSessions(
      {
        log: deps.log,
        store: deps.sessions,
        rules: deps.rules,
        writer: deps.writer,
        baseTopic: deps.baseTopic,
        collectivesAt: deps.collectivesAt,
        inference: deps.inference,
        onProgress,
      },
      run.devices,
      run.from,
      run.to,
    );
    for (const subject of journeySubjects([...replaced, ...sessions], deps.ambient)) run.subjects.add(subject);
    run.sessions = sessions;
    return { job: 'sessions', count: sessions.length, unit: 'sessions' };
  },
};

const journeysJob: BatchJob = {
  name: 'journeys',
  description: 'journeys, from the stored sessions',
  async run(deps, run) {
    const { from, to } = run;
    // Run alone over every device: the subjects of the stored sessions and journeys of the range.
    if (run.devices === 'all') {
      for (const subject of journeySubjects(deps.sessions.listInRange(from, to), deps.ambient)) run.subjects.add(subject);
      for (const journey of deps.journeys.listInRange(from, to)) run.subjects.add(journey.subjectId);
    }
    const onProgress = (done: number, total: number) => run.onProgress({ job: 'journeys', done, total, unit: 'subjects' });
    // Journeys close as the stream would close them: on its watermark (or the log's, when the stream is
    // behind or never ran) and its open sessions.
    const state = {
      watermark: Math.max(deps.sessions.loadWatermark(), deps.log.latestTrustedTs() ?? Number.NEGATIVE_INFINITY),
      open: deps.sessions.loadOpen(),
    };
    const journeys = await rederiveJourneys({ ...deps, onProgress }, run.subjects, from, state);
    return { job: 'journeys', count: journeys.length, unit: 'journeys' };
  },
};

const aggregatesJob: BatchJob = {
  name: 'aggregates',
  description: 'transitions, activity, shared usage, funnels, retention and lifecycle in InfluxDB, from the stored sessions and journeys',
  async run(deps, run) {
    // Those of every day in the range; the run's end recomputes them (the other jobs mark the days they change).
    const days = deps.aggregates.markRange(run.from, run.to);
    run.onProgress({ job: 'aggregates', done: days, total: days, unit: 'days' });
    return { job: 'aggregates', count: days, unit: 'days' };
  },
};

/** Every batch job, in the order they run: a job reads what the ones before it wrote. */
export const batchJobs: readonly BatchJob[] = [sessionsJob, journeysJob, aggregatesJob];

export const batchJobNames = batchJobs.map((job) => job.name);
