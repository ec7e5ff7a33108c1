import type { DeviceTopic, EventPayload, QuarantineReason, StatusPayload, TelemetryPayload } from '@parcours/contracts';
import type { Attribution } from '@parcours/contracts';

/** A device message as the broker (or an external-broker subscription) hands it to the gateway. */
export interface InboundMessage {
  topic: string;
  payload: Buffer;
  receivedAt: number;
  clientId: string | null;
  /** The authenticated MQTT username (a device id), when there is one. */
  username: string | null;
}

/** What the stages learn about a message, filled in top to bottom. */
export interface Draft {
  message: InboundMessage;
  topic?: DeviceTopic;
  json?: unknown;
  text?: string;
  body?: { channel: 'telemetry'; payload: TelemetryPayload } | { channel: 'events'; payload: EventPayload } | { channel: 'status'; payload: StatusPayload };
  attribution?: Attribution;
  /** Set when the device time was replaced by the receive time; holds the time the device sent. */
  clockCorrected?: { deviceTs: number };
  /** Set when the message arrived later than the clock skew allows (buffered, replayed, delayed). */
  late?: boolean;
}

export interface Rejection {
  reason: QuarantineReason;
  detail: string;
}

export function reject(reason: QuarantineReason, detail: string): Rejection {
  return { reason, detail };
}
