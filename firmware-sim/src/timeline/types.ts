import type { DeviceChannel } from '@parcours/contracts';

export const faultKinds = [
  'bad_json',
  'wrong_types',
  'unknown_fields',
  'oversize',
  'unknown_device',
  'duplicate',
  'redelivery',
  'clock_skew',
  'clock_stuck',
  'topic_mismatch',
  'offline',
  'reconnect_storm',
] as const;
export type FaultKind = (typeof faultKinds)[number];

/** One MQTT publish of the timeline: `payload` is the exact text sent on `{base}/devices/{deviceId}/{channel}`. */
export interface TimelineMessage {
  deviceId: string;
  channel: Extract<DeviceChannel, 'telemetry' | 'events'>;
  /** Device time, ms since the epoch (the true time: a faulty clock writes another one in the payload). */
  ts: number;
  /** The seq the payload carries (or would carry: a faulty payload may hold a broken one). */
  seq: number;
  payload: string;
  /** When the device sends it, if not at `ts`: after an offline period, or a resend. */
  sendAt?: number;
  /** Set on injected faults. */
  fault?: FaultKind;
  /** The device whose connection publishes it, when not `deviceId` (a device on another's topic). */
  publisher?: string;
  /** A QoS 1 redelivery: the device reconnects first, then resends with the DUP flag [MQTT-3.3.1-1]. */
  redelivery?: boolean;
}

/** A device losing (`online: false`) or regaining its broker connection at simulated instant `at`. */
export interface ConnectivityChange {
  at: number;
  deviceId: string;
  online: boolean;
}

export function sendTime(message: TimelineMessage): number {
  return message.sendAt ?? message.ts;
}
