import type { TelemetryPayloadInput } from '@parcours/contracts';
import { pick, type Rng } from '../prng.js';

/** Where a clock that was never set starts counting (vzlogger#351: readings stamped 1971). */
export const stuckClockEpoch = Date.UTC(1971, 0, 1);

/** Payloads that parse as JSON but break the telemetry schema, one way each. */
const wrongTypes: ((valid: TelemetryPayloadInput) => object)[] = [
  (valid) => ({ ...valid, seq: 'abc' }),
  (valid) => ({ ...valid, metrics: Object.fromEntries(Object.entries(valid.metrics).map(([k, v]) => [k, String(v)])) }),
  (valid) => ({ ...valid, ts: 'yesterday' }),
];

/** Fields a newer firmware might add; the payload schemas are strict, so each one is a schema error. */
const unknownFields = ['firmware', 'rssi_dbm', 'uptime_s', 'battery'];

export function truncatedJson(valid: TelemetryPayloadInput, rng: Rng): string {
  const text = JSON.stringify(valid);
  // Any strict prefix of a JSON object is invalid JSON: the closing brace is missing.
  return text.slice(0, 1 + Math.floor(rng() * (text.length - 1)));
}

export function wrongTypesJson(valid: TelemetryPayloadInput, rng: Rng): string {
  return JSON.stringify(pick(rng, wrongTypes)(valid));
}

export function unknownFieldJson(valid: TelemetryPayloadInput, rng: Rng): string {
  return JSON.stringify({ ...valid, [pick(rng, unknownFields)]: Math.round(rng() * 1000) });
}

/** Valid JSON of exactly `bytes` bytes (ASCII), padded by a debug dump a firmware forgot to strip. */
export function oversizeJson(valid: TelemetryPayloadInput, bytes: number): string {
  const empty = JSON.stringify({ ...valid, debug: '' });
  return JSON.stringify({ ...valid, debug: 'x'.repeat(Math.max(0, bytes - empty.length)) });
}

/** A valid payload whose `ts` is what a faulty clock says instead of the true time. */
export function withClock(valid: TelemetryPayloadInput, deviceTs: number): string {
  return JSON.stringify({ ...valid, ts: deviceTs });
}
