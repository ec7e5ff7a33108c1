import type { Journey } from '@parcours/contracts';
import { writeIsolatingRefused, type InfluxWriter } from '@parcours/gateway';
import type { Logger } from 'pino';
import type { SessionBatch, SessionFollower } from '../sessions/session-job.js';
import { JourneyBuilder } from './journey-builder.js';
import { journeyMessage, journeyPoint } from './journey-output.js';
import type { JourneyStore } from './journey-store.js';

export interface JourneyJobDeps {
  store: JourneyStore;
  gapMs: number;
  individualType: (individualId: string) => string | null;
  influx: InfluxWriter | null;
  publish: (topic: string, payload: string) => Promise<void>;
  baseTopic: string;
  logger: Logger;
}

/**
 * Streaming journeys, fed by the sessions job's batches: closed sessions join pending journeys, and the
 * batch's watermark closes them. Closed journeys go to InfluxDB and MQTT before the pending state is
 * committed with the sessions, so a restart resumes where the last committed batch left off.
 */
export class JourneyJob implements SessionFollower {
  private builder: JourneyBuilder | null = null;

  constructor(private readonly deps: JourneyJobDeps) {}

  start(): void {
    this.builder = new JourneyBuilder(this.deps.gapMs, this.deps.individualType, this.deps.store.loadPending());
  }

  async handle(batch: SessionBatch, signal: AbortSignal): Promise<() => void> {
    const { deps } = this;
    if (!this.builder) throw new Error('journey job not started');
    const draft = new JourneyBuilder(deps.gapMs, deps.individualType, structuredClone(this.builder.pendingJourneys()));
    draft.add(batch.closed);
    const closed = draft.advance(batch.watermark, batch.open);
    await this.output(closed, signal);
    return () => {
      deps.store.save(closed, draft.pendingJourneys());
      this.builder = draft;
    };
  }

  private async output(journeys: readonly Journey[], signal: AbortSignal): Promise<void> {
    const { deps } = this;
    if (journeys.length === 0) return;
    if (deps.influx) {
      await writeIsolatingRefused(deps.influx, journeys.map(journeyPoint), (point, error) => {
        deps.logger.error({ point, reason: error.message }, 'InfluxDB refused a journey point; the journey stays in the store');
      }, signal);
    }
    for (const journey of journeys) {
      const message = journeyMessage(deps.baseTopic, journey);
      await deps.publish(message.topic, message.payload);
    }
  }
}
