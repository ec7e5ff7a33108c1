import { errorCodes } from '@parcours/contracts';
import { reject, type Draft, type Rejection } from './draft.js';

export interface DeviceTimeOptions {
  maxClockSkewMs: number;
  maxLatenessMs: number;
}

/** Before this, a device time is a clock that was never set (vzlogger#351: readings stamped 1971). */
const earliestPlausible = Date.UTC(2000, 0, 1);

/**
 * Device clocks are wrong in the field. A time ahead of the receive time by more than the skew, or
 * implausibly old, is replaced by the receive time and flagged; a late one (buffered, replayed) is kept
 * within the lateness and quarantined beyond it.
 */
export function checkDeviceTime(draft: Draft, options: DeviceTimeOptions): Rejection | void {
  const body = draft.body!;
  if (body.channel === 'status') return;
  const received = draft.message.receivedAt;
  const ts = body.payload.ts;
  if (ts - received > options.maxClockSkewMs || ts < earliestPlausible) {
    draft.clockCorrected = { deviceTs: ts };
    body.payload.ts = received;
    return;
  }
  if (received - ts > options.maxClockSkewMs) draft.late = true;
  if (received - ts > options.maxLatenessMs) {
    return reject(
      errorCodes.tooLate,
      `device time ${new Date(ts).toISOString()} is ${Math.round((received - ts) / 60_000)} min before its receipt, beyond the accepted lateness`,
    );
  }
}
