import { deviceTopic, errorCodes, type LogRecord, ParcoursError, type PartHealth } from '@parcours/contracts';
import { type ConsumerOffsets, type ConsumerStatus, type EventLog, LogConsumer, type LogConsumerOptions } from '@parcours/gateway';
import type { PromptReplies } from './prompt-replies.js';
import { isReplyEvent, replyOf } from './reply-events.js';
import { isQuarantinedReply, type QuarantineReply, refusedReply } from './refused-reply.js';

const consumerName = 'survey-replies';
/** Replies are few among the log's records: a batch reads many, and handles the few it finds. */
const batchSize = 5_000;

/**
 * Follows the durable log for the `survey.answer`, `survey.dismiss` and `survey.shown` events of people's app
 * devices, which came through the normal ingest (validated, attributed, deduplicated), and applies them to their
 * prompts as of the event's time. A reply from a device not assigned to the prompt's person at that time, or
 * one the prompt or its questions refuse, is quarantined with its code. At-least-once, like every log reader:
 * a reply applied again changes nothing.
 */
export class ReplyFollower {
  private readonly consumer: LogConsumer;

  constructor(
    private readonly deps: {
      log: EventLog;
      offsets: ConsumerOffsets;
      replies: PromptReplies;
      quarantine: QuarantineReply;
      baseTopic: string;
      logger: LogConsumerOptions['logger'];
      onError?: () => void;
    },
  ) {
    this.consumer = new LogConsumer({
      name: consumerName,
      log: deps.log,
      offsets: deps.offsets,
      batchSize,
      logger: deps.logger.child({ part: consumerName }),
      withMetrics: false,
      handle: async (records) => {
        for (const record of records) if (isReplyEvent(record)) this.apply(record);
      },
      onError: deps.onError,
    });
  }

  private apply(record: LogRecord): void {
    try {
      const reply = replyOf(record);
      const prompt = this.deps.replies.require(reply.promptId);
      if (record.subjectKind !== 'individual' || record.subjectId !== prompt.personId)
        throw new ParcoursError(
          errorCodes.replyWrongDevice,
          `device ${record.deviceId} was not assigned to ${prompt.personId}, whom prompt ${prompt.promptId} asked, at ${new Date(record.ts).toISOString()}`,
        );
      if (reply.kind === 'answer') this.deps.replies.answer(reply.promptId, reply.answer, record.ts);
      else if (reply.kind === 'dismiss') this.deps.replies.dismiss(reply.promptId, record.ts);
      else this.deps.replies.shown(reply.promptId, record.ts);
    } catch (error) {
      if (!(error instanceof ParcoursError) || !isQuarantinedReply(error.code)) throw error;
      this.deps.logger.warn({ deviceId: record.deviceId, seq: record.seq, reason: error.code, detail: error.message }, 'survey reply quarantined');
      this.deps.quarantine(
        refusedReply({
          receivedAt: record.receivedAt,
          topic: deviceTopic(this.deps.baseTopic, record.deviceId, 'events'),
          deviceId: record.deviceId,
          reason: error.code,
          detail: error.message,
          payload: { seq: record.seq, ts: record.ts, type: record.type, attrs: record.attrs },
        }),
      );
    }
  }

  async start(): Promise<void> {
    this.consumer.start();
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  caughtUp(): Promise<void> {
    return this.consumer.caughtUp();
  }

  status(): ConsumerStatus {
    return this.consumer.status();
  }

  /** Healthy unless its batches keep failing. */
  health(): PartHealth {
    return this.consumer.health();
  }
}
