import type { Logger } from 'pino';
import type { AttributionIndex } from '../registry/attribution-index.js';
import type { GatewayMetrics } from '../metrics.js';
import type { NewLogRecord } from '@parcours/contracts';
import { keptPayload } from '../quarantine/kept-payload.js';
import type { QuarantineEntry } from '../quarantine/quarantine-store.js';
import { attribute } from './attribute.js';
import { checkSender } from './check-sender.js';
import type { BatchWriter, WriteItem, WriteOutcome } from './batch-writer.js';
import { decode, type DecodeOptions } from './decode.js';
import { checkDeviceTime, type DeviceTimeOptions } from './device-time.js';
import { type Attributed, type InboundMessage, Rejection } from './message.js';
import { validate } from './validate.js';

export interface IngestDeps {
  /** `quarantinePrefixBytes`: what the quarantine keeps of a payload over `maxPayloadBytes`. */
  options: DecodeOptions & DeviceTimeOptions & { quarantinePrefixBytes: number };
  /** The current attribution index (it is replaced when the registry changes). */
  index: () => AttributionIndex;
  writer: BatchWriter;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Told of each message once it is in the quarantine (the platform publishes it for operators). */
  onQuarantined?: ((entry: QuarantineEntry) => void) | undefined;
}

/**
 * The gateway's pipeline: decode (and check the sender) → validate → device time → attribute → store (dedupe happens at the store, whose
 * key is `(deviceId, seq)`). Resolves once the outcome is durable; rejects only if the store failed,
 * in which case the message must not be acknowledged.
 */
export class Ingest {
  constructor(private readonly deps: IngestDeps) {}

  /** The stages, in order: each takes what the one before returned; the first rejection ends the run. */
  private run(message: InboundMessage): Attributed | Rejection {
    const { options } = this.deps;
    const index = this.deps.index();
    const decoded = decode(message, options);
    // Who sent it before what it says: the topic named the device, whatever the payload's faults.
    const impersonation = checkSender(message, decoded, index);
    if (impersonation) return impersonation;
    if (decoded instanceof Rejection) return decoded;
    const valid = validate(decoded);
    if (valid instanceof Rejection) return valid;
    const timed = checkDeviceTime(valid, options);
    if (timed instanceof Rejection) return timed;
    return attribute(timed, index);
  }

  async handle(message: InboundMessage): Promise<WriteOutcome> {
    const { metrics, writer, logger, options } = this.deps;
    const result = this.run(message);
    const rejected = result instanceof Rejection;
    const channel = rejected ? (result.channel ?? 'unknown') : result.body.channel;
    metrics.received.inc({ channel });
    const item = rejected ? quarantineItem(message, result, options) : acceptedItem(result);
    let outcome: WriteOutcome;
    try {
      outcome = await writer.write(item);
    } catch (error) {
      metrics.storeErrors.inc();
      logger.error({ err: error, topic: message.topic }, 'could not store a message; it is not acknowledged');
      throw error;
    }
    if (rejected) {
      metrics.quarantined.inc({ reason: result.reason });
      if (item.kind === 'quarantine') this.deps.onQuarantined?.(item.entry);
      logger.warn({ topic: message.topic, reason: result.reason, detail: result.detail }, 'message quarantined');
      return outcome;
    }
    metrics.accepted.inc({ channel });
    if (result.attribution.actorRejected) metrics.actorsRejected.inc();
    if (outcome === 'stored') metrics.stored.inc({ channel });
    if (outcome === 'duplicate') metrics.duplicates.inc();
    if (result.deviceTs !== null) metrics.clockCorrected.inc();
    if (result.late) metrics.late.inc();
    return outcome;
  }
}

function quarantineItem(message: InboundMessage, rejection: Rejection, options: IngestDeps['options']): WriteItem {
  return {
    kind: 'quarantine',
    entry: {
      receivedAt: message.receivedAt,
      topic: message.topic,
      deviceId: rejection.deviceId,
      clientId: message.clientId,
      username: message.username,
      reason: rejection.reason,
      detail: rejection.detail,
      ...keptPayload(message.payload, { maxPayloadBytes: options.maxPayloadBytes, prefixBytes: options.quarantinePrefixBytes }),
    },
  };
}

function acceptedItem(accepted: Attributed): WriteItem {
  const { message, deviceId, body } = accepted;
  if (body.channel === 'status') return { kind: 'presence', change: { deviceId, status: body.payload, at: message.receivedAt } };
  const record: NewLogRecord = {
    deviceId,
    seq: body.payload.seq,
    channel: body.channel,
    ts: accepted.at,
    receivedAt: message.receivedAt,
    ...accepted.attribution,
    actorHint: body.channel === 'events' ? (body.payload.actor ?? null) : null,
    deviceTs: accepted.deviceTs,
    type: body.channel === 'events' ? body.payload.type : null,
    metrics: body.channel === 'telemetry' ? body.payload.metrics : null,
    attrs: body.channel === 'events' ? (body.payload.attrs ?? null) : null,
  };
  return { kind: 'record', record };
}
