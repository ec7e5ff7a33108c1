import { errorCodes } from '@parcours/contracts';
import type { FaultKind } from './types.js';

/**
 * What a Parcours gateway should do with each injected fault. For the clock faults this is what it does
 * with a message received close to its device time; the simulator judges each one by its actual receipt
 * (`ClockFaultVerdicts`): stamped by a clock ahead but still in the past when received, it is stored as stamped.
 */
export const faultOutcomes = ['quarantined', 'duplicate', 'clock_corrected', 'stored_as_stamped', 'stored_late', 'reconnected'] as const;
export type FaultOutcome = (typeof faultOutcomes)[number];

export const expectedOutcome: Record<FaultKind, { outcome: FaultOutcome; reason: string | null }> = {
  bad_json: { outcome: 'quarantined', reason: errorCodes.badJson },
  wrong_types: { outcome: 'quarantined', reason: errorCodes.schema },
  unknown_fields: { outcome: 'quarantined', reason: errorCodes.schema },
  oversize: { outcome: 'quarantined', reason: errorCodes.oversize },
  unknown_device: { outcome: 'quarantined', reason: errorCodes.unknownDevice },
  topic_mismatch: { outcome: 'quarantined', reason: errorCodes.topicMismatch },
  duplicate: { outcome: 'duplicate', reason: null },
  redelivery: { outcome: 'duplicate', reason: null },
  // Stored once, with the receive time instead of the device's (device-time.ts keeps the device's aside).
  clock_skew: { outcome: 'clock_corrected', reason: null },
  clock_stuck: { outcome: 'clock_corrected', reason: null },
  // Buffered messages are stored once each, late but within the gateway's lateness.
  offline: { outcome: 'stored_late', reason: null },
  reconnect_storm: { outcome: 'reconnected', reason: null },
};

/** Faults whose message the platform stores: they count among the valid messages of the ground truth. */
export function isStored(kind: FaultKind): boolean {
  return kind === 'clock_skew' || kind === 'clock_stuck';
}
