import type { Attribution, DeviceChannel, EventPayload, QuarantineReason, StatusPayload, TelemetryPayload } from '@parcours/contracts';

// A device message at each step of ingest: every stage takes one of these values and returns a new value of
// the next type, or a `Rejection`. What a stage learnt is in the type; nothing is filled in later.

/** A device message as the broker (or an external-broker subscription) hands it to the gateway. */
export interface InboundMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly receivedAt: number;
  readonly clientId: string | null;
  /** The authenticated MQTT username (a device id), when there is one. */
  readonly username: string | null;
}

/** Its topic names a device channel and its bytes decode: JSON, or plain text for a status (a last will carries it). */
export type Decoded =
  | { readonly message: InboundMessage; readonly deviceId: string; readonly channel: 'telemetry' | 'events'; readonly json: unknown }
  | { readonly message: InboundMessage; readonly deviceId: string; readonly channel: 'status'; readonly text: string };

/** A payload that holds to its channel's contract schema. */
export type Body =
  | { readonly channel: 'telemetry'; readonly payload: TelemetryPayload }
  | { readonly channel: 'events'; readonly payload: EventPayload }
  | { readonly channel: 'status'; readonly payload: StatusPayload };

// Each value below is built as a literal from the one before, not spread from it: V8 (Node 20) clones an
// object and then adds properties to it hundreds of times slower than it builds a literal.

/** Its payload holds to its channel's contract schema. */
export interface Valid {
  readonly message: InboundMessage;
  readonly deviceId: string;
  readonly body: Body;
}

/** Its time is checked against the receive time. */
export interface Timed extends Valid {
  /** The time it is filed under: the device time, or the receive time for a status and when the device clock cannot be believed. */
  readonly at: number;
  /** The device time, when the receive time replaced it; null otherwise. */
  readonly deviceTs: number | null;
  /** It arrived later than the clock skew allows (buffered, replayed, delayed). */
  readonly late: boolean;
}

/** It is attributed to its device and to the subjects the registry held at its time. */
export interface Attributed extends Timed {
  readonly attribution: Attribution;
}

/** Why a message goes to the quarantine, with the device and channel its topic named (null when it named none). */
export class Rejection {
  constructor(
    readonly reason: QuarantineReason,
    readonly detail: string,
    readonly deviceId: string | null,
    readonly channel: DeviceChannel | null,
  ) {}
}
