import { errorCodes } from '@parcours/contracts';
import { Rejection, type Timed, type Valid } from './message.js';

export interface DeviceTimeOptions {
  maxClockSkewMs: number;
  maxLatenessMs: number;
}

/** Before this, a device time is a clock that was never set (vzlogger#351: readings stamped 1971). */
const earliestPlausible = Date.UTC(2000, 0, 1);

/**
 * Device clocks are wrong in the field. A time ahead of the receive time by more than the skew, or
 * implausibly old, is replaced by the receive time and flagged; a late one (buffered, replayed) is kept
 * within the lateness and quarantined beyond it. A status carries no time: it is filed at its receipt.
 */
export function checkDeviceTime(valid: Valid, options: DeviceTimeOptions): Timed | Rejection {
  const { message, deviceId, body } = valid;
  const received = message.receivedAt;
  if (body.channel === 'status') return { message, deviceId, body, at: received, deviceTs: null, late: false };
  const ts = body.payload.ts;
  if (ts - received > options.maxClockSkewMs || ts < earliestPlausible) return { message, deviceId, body, at: received, deviceTs: ts, late: false };
  if (received - ts > options.maxLatenessMs) {
    return new Rejection(
      errorCodes.tooLate,
      `device time ${new Date(ts).toISOString()} is ${Math.round((received - ts) / 60_000)} min before its receipt, beyond the accepted lateness`,
      deviceId,
      body.channel,
    );
  }
  return { message, deviceId, body, at: ts, deviceTs: null, late: received - ts > options.maxClockSkewMs };
}
