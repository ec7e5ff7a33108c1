import { type QuarantineReason, replyQuarantineReasons } from '@parcours/contracts';
import { keptPayload, type QuarantineEntry } from '@parcours/gateway';

/** Where a refused reply is kept: the quarantine, counted by reason (wired by the app). */
export type QuarantineReply = (entry: QuarantineEntry) => void;

/** Whether the surveys quarantine a reply refused with this code (the others are the caller's own faults, or retried). */
export function isQuarantinedReply(code: string): code is QuarantineReason {
  return (replyQuarantineReasons as readonly string[]).includes(code);
}

/** A refused reply as the quarantine keeps it: where it came from (an MQTT topic, or the HTTP route), what it said, why it was refused. */
export function refusedReply(reply: {
  receivedAt: number;
  topic: string;
  deviceId: string | null;
  reason: QuarantineReason;
  detail: string;
  payload: unknown;
}): QuarantineEntry {
  return {
    receivedAt: reply.receivedAt,
    topic: reply.topic,
    deviceId: reply.deviceId,
    clientId: null,
    username: null,
    reason: reply.reason,
    detail: reply.detail,
    ...keptPayload(Buffer.from(JSON.stringify(reply.payload))),
  };
}
