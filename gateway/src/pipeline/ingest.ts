import type { Logger } from 'pino';
import type { AttributionIndex } from '../registry/attribution-index.js';
import type { GatewayMetrics } from '../metrics.js';
import type { NewLogRecord } from '@parcours/contracts';
import type { QuarantineEntry } from '../quarantine/quarantine-store.js';
import { attribute } from './attribute.js';
import type { BatchWriter, WriteItem, WriteOutcome } from './batch-writer.js';
import { decode, type DecodeOptions } from './decode.js';
import { checkDeviceTime, type DeviceTimeOptions } from './device-time.js';
import type { Draft, InboundMessage, Rejection } from './draft.js';
import { validate } from './validate.js';

export interface IngestDeps {
  options: DecodeOptions & DeviceTimeOptions;
  /** The current attribution index (it is replaced when the registry changes). */
  index: () => AttributionIndex;
  writer: BatchWriter;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Told of each message once it is in the quarantine (the platform publishes it for operators). */
  onQuarantined?: ((entry: QuarantineEntry) => void) | undefined;
}

/**
 * The gateway's pipeline: decode → validate → device time → attribute → store (dedupe happens at the store, whose
 * key is `(deviceId, seq)`). Resolves once the outcome is durable; rejects only if the store failed,
 * in which case the message must not be acknowledged.
 */
export class Ingest {
  private readonly stages: ReadonlyArray<(draft: Draft) => Rejection | void>;

  constructor(private readonly deps: IngestDeps) {
    this.stages = [
      (draft) => decode(draft, deps.options),
      validate,
      (draft) => checkDeviceTime(draft, deps.options),
      (draft) => attribute(draft, deps.index()),
    ];
  }

  async handle(message: InboundMessage): Promise<WriteOutcome> {
    const { metrics, writer, logger } = this.deps;
    const draft: Draft = { message };
    let rejection: Rejection | undefined;
    for (const stage of this.stages) {
      rejection = stage(draft) ?? undefined;
      if (rejection) break;
    }
    const channel = draft.topic?.channel ?? 'unknown';
    metrics.received.inc({ channel });
    const item = rejection ? this.quarantineItem(draft, rejection) : this.acceptedItem(draft);
    let outcome: WriteOutcome;
    try {
      outcome = await writer.write(item);
    } catch (error) {
      metrics.storeErrors.inc();
      logger.error({ err: error, topic: message.topic }, 'could not store a message; it is not acknowledged');
      throw error;
    }
    if (rejection) {
      metrics.quarantined.inc({ reason: rejection.reason });
      if (item.kind === 'quarantine') this.deps.onQuarantined?.(item.entry);
      logger.warn({ topic: message.topic, reason: rejection.reason, detail: rejection.detail }, 'message quarantined');
      return outcome;
    }
    metrics.accepted.inc({ channel });
    if (draft.attribution?.actorRejected) metrics.actorsRejected.inc();
    if (outcome === 'stored') metrics.stored.inc({ channel });
    if (outcome === 'duplicate') metrics.duplicates.inc();
    if (draft.clockCorrected) metrics.clockCorrected.inc();
    if (draft.late) metrics.late.inc();
    return outcome;
  }

  private quarantineItem(draft: Draft, rejection: Rejection): WriteItem {
    const { message } = draft;
    return {
      kind: 'quarantine',
      entry: {
        receivedAt: message.receivedAt,
        topic: message.topic,
        deviceId: draft.topic?.deviceId ?? null,
        clientId: message.clientId,
        username: message.username,
        reason: rejection.reason,
        detail: rejection.detail,
        payload: message.payload,
      },
    };
  }

  private acceptedItem(draft: Draft): WriteItem {
    const body = draft.body!;
    const deviceId = draft.topic!.deviceId;
    if (body.channel === 'status') {
      return { kind: 'presence', change: { deviceId, status: body.payload, at: draft.message.receivedAt } };
    }
    const record: NewLogRecord = {
      deviceId,
      seq: body.payload.seq,
      channel: body.channel,
      ts: body.payload.ts,
      receivedAt: draft.message.receivedAt,
      ...draft.attribution!,
      actorHint: body.channel === 'events' ? (body.payload.actor ?? null) : null,
      deviceTs: draft.clockCorrected?.deviceTs ?? null,
      type: body.channel === 'events' ? body.payload.type : null,
      metrics: body.channel === 'telemetry' ? body.payload.metrics : null,
      attrs: body.channel === 'events' ? (body.payload.attrs ?? null) : null,
    };
    return { kind: 'record', record };
  }
}
