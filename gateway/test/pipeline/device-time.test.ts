import { errorCodes } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { checkDeviceTime } from '../../src/pipeline/device-time.js';
import { Rejection, type Valid } from '../../src/pipeline/message.js';

const minute = 60_000;
const options = { maxClockSkewMs: 5 * minute, maxLatenessMs: 60 * minute };
const received = Date.UTC(2026, 2, 1, 12);
const message = { topic: 't', payload: Buffer.alloc(0), receivedAt: received, clientId: 'c', username: null };

function telemetry(ts: number): Valid {
  return { message, deviceId: 'd1', body: { channel: 'telemetry', payload: { ts, seq: 1, metrics: { p: 1 } } } };
}

describe('checkDeviceTime', () => {
  it('files a message under its device time when the clock is within the skew, either way', () => {
    for (const ts of [received, received - 5 * minute, received + 5 * minute]) {
      const valid = telemetry(ts);
      expect(checkDeviceTime(valid, options)).toEqual({ ...valid, at: ts, deviceTs: null, late: false });
    }
  });

  it('replaces a time ahead by more than the skew with the receive time, keeping the device time and leaving the payload as it was', () => {
    const valid = telemetry(received + 5 * minute + 1);
    expect(checkDeviceTime(valid, options)).toEqual({ ...valid, at: received, deviceTs: received + 5 * minute + 1, late: false });
    expect(valid).toEqual(telemetry(received + 5 * minute + 1));
  });

  it('replaces a clock that was never set (before 2000), however old, rather than rejecting it as late', () => {
    const ts = Date.UTC(1971, 0, 1);
    expect(checkDeviceTime(telemetry(ts), options)).toMatchObject({ at: received, deviceTs: ts, late: false });
  });

  it('keeps a late message within the lateness, flagged late', () => {
    for (const ts of [received - 5 * minute - 1, received - 60 * minute]) {
      expect(checkDeviceTime(telemetry(ts), options)).toMatchObject({ at: ts, deviceTs: null, late: true });
    }
  });

  it('rejects a message later than the lateness as too late', () => {
    const result = checkDeviceTime(telemetry(received - 60 * minute - 1), options);
    expect(result).toBeInstanceOf(Rejection);
    expect(result).toEqual(
      new Rejection(errorCodes.tooLate, 'device time 2026-03-01T10:59:59.999Z is 60 min before its receipt, beyond the accepted lateness', 'd1', 'telemetry'),
    );
  });

  it('files a status, which carries no time, at its receipt', () => {
    const valid: Valid = { message, deviceId: 'd1', body: { channel: 'status', payload: 'online' } };
    expect(checkDeviceTime(valid, options)).toEqual({ ...valid, at: received, deviceTs: null, late: false });
  });
});
