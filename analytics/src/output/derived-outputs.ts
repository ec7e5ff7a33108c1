import { measurements, type Funnel } from '@parcours/contracts';
import type { InfluxPoint } from '@parcours/gateway';
import type { AggregateJob } from '../aggregates/aggregate-job.js';
import type { AggregateStore } from '../aggregates/aggregate-store.js';
import { journeyPoint } from '../journeys/journey-output.js';
import type { JourneyStore } from '../journeys/journey-store.js';
import { sessionPoint } from '../sessions/session-output.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { DerivedOutput } from './influx-catch-up.js';
import type { ResultWriter } from './result-writer.js';

export interface DerivedOutputsDeps {
  sessions: SessionStore;
  journeys: JourneyStore;
  aggregateStore: AggregateStore;
  aggregates: Pick<AggregateJob, 'rewriteFunnel'>;
  writer: ResultWriter;
  funnels: readonly Funnel[];
  /** Runs a rewrite between two batches of the stream (`SessionJob.exclusive`): no batch changes its results meanwhile. */
  betweenBatches: <T>(task: () => Promise<T>) => Promise<T>;
}

/**
 * Every derived output in InfluxDB, in the order they catch up: sessions and journeys (their points replaced
 * week by week), the aggregates (their days marked stale, for the aggregate job to recompute), and each
 * declared funnel (recomputed per entry day: the aggregate job writes a funnel only for the days that change).
 */
export function derivedOutputs(deps: DerivedOutputsDeps): DerivedOutput[] {
  const { sessions, journeys, writer, betweenBatches } = deps;
  /** A measurement whose points of a range are replaced by those of the store's results starting in it. */
  const fromStore = (measurement: string, pointsIn: (from: number, to: number) => InfluxPoint[]): DerivedOutput => ({
    name: measurement,
    definition: '',
    rewrite: (from, to, signal) =>
      betweenBatches(() => writer.replacePoints({ ranges: [{ measurement, tags: {}, from, to }], points: pointsIn(from, to) }, signal)),
  });
  return [
    fromStore(measurements.usageSession, (from, to) => sessions.listInRange(from, to).map(sessionPoint)),
    fromStore(measurements.journey, (from, to) => journeys.listInRange(from, to).map(journeyPoint)),
    {
      name: 'aggregates',
      definition: '',
      rewrite: async (from, to) => void deps.aggregateStore.markRange(from, to),
    },
    ...deps.funnels.map(
      (funnel): DerivedOutput => ({
        name: `${measurements.funnel}:${funnel.name}`,
        definition: JSON.stringify(funnel),
        rewrite: (from, to, signal) => deps.aggregates.rewriteFunnel(funnel, from, to, signal),
      }),
    ),
  ];
}
