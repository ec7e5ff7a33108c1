import { clockVerdict, errorCodes, type ClockRules } from '@parcours/contracts';
import { Rejection, type Timed, type Valid } from './message.js';

export type DeviceTimeOptions = ClockRules;

/**
 * Device clocks are wrong in the field. A time ahead of the receive time by more than the skew, or
 * implausibly old, is replaced by the receive time and flagged; a late one (buffered, replayed) is kept
 * within the lateness and quarantined beyond it (`clockVerdict`). A status carries no time: it is filed at its receipt.
 */
export function checkDeviceTime(valid: Valid, options: DeviceTimeOptions): Timed | Rejection {
  const { message, deviceId, body } = valid;
  const received = message.receivedAt;
  if (body.channel === 'status') return { message, deviceId, body, at: received, deviceTs: null, late: false };
  const ts = body.payload.ts;
  const verdict = clockVerdict(ts, received, options);
  if (verdict === 'corrected') return { message, deviceId, body, at: received, deviceTs: ts, late: false };
  if (verdict === 'too_late') {
    return new Rejection(
      errorCodes.tooLate,
      `device time ${new Date(ts).toISOString()} is ${Math.round((received - ts) / 60_000)} min before its receipt, beyond the accepted lateness`,
      deviceId,
      body.channel,
    );
  }
  return { message, deviceId, body, at: ts, deviceTs: null, late: verdict === 'late' };
}
