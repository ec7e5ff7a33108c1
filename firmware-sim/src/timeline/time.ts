/** Simulated time is cut into UTC days: every random draw is seeded per (device, day), never per window. */
export const hourMs = 3_600_000;
export const dayMs = 24 * hourMs;

export function dayOf(ms: number): number {
  return Math.floor(ms / dayMs);
}

/** 0 = Monday … 6 = Sunday, as the routines' `days` weights are written. */
export function weekdayOf(day: number): number {
  return (new Date(day * dayMs).getUTCDay() + 6) % 7;
}

/**
 * `seq` is derived from time so that it is the same whichever window generated the message:
 * seq = ts · 4 + slot, one slot per kind of message, so two messages of a device never share a seq
 * as long as each slot holds at most one message per device and millisecond (the generators ensure it).
 */
export const seqSlot = { telemetry: 0, event: 1, surveyReply: 2, fault: 3 } as const;

export function seqOf(ts: number, slot: (typeof seqSlot)[keyof typeof seqSlot]): number {
  return ts * 4 + slot;
}
