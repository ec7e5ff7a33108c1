import type { DeviceChannel } from '@parcours/contracts';

export const faultKinds = ['bad_json', 'wrong_types', 'unknown_device'] as const;
export type FaultKind = (typeof faultKinds)[number];

/** One MQTT publish of the timeline: `payload` is the exact text sent on `{base}/devices/{deviceId}/{channel}`. */
export interface TimelineMessage {
  deviceId: string;
  channel: Extract<DeviceChannel, 'telemetry' | 'events'>;
  /** Device time, ms since the epoch. */
  ts: number;
  /** The seq the payload carries (or would carry: a faulty payload may hold a broken one). */
  seq: number;
  payload: string;
  /** Set on injected faults; those are not valid messages. */
  fault?: FaultKind;
}
