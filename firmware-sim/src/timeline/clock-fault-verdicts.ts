import { clockVerdict, errorCodes, type ClockRules } from '@parcours/contracts';
import type { FaultTruth, GroundTruth } from './ground-truth.js';
import type { TimelineMessage } from './types.js';

type Verdict = ReturnType<typeof clockVerdict>;

const key = (deviceId: string, ts: number) => `${deviceId}|${ts}`;

/**
 * What the gateway does with a wrong clock depends on when the message arrives: a clock a day ahead in a
 * back-fill of last week is still in the past when received, so it is stored as stamped. Each clock fault
 * is judged, by the gateway's rule, at the instant it is published; the ground truth then says so.
 */
export class ClockFaultVerdicts {
  private readonly verdicts = new Map<string, Verdict>();

  constructor(private readonly rules: ClockRules) {}

  /** Call as the message is published: its receipt is now, give or take the network. */
  published(message: TimelineMessage, now = Date.now()): void {
    if (message.fault !== 'clock_skew' && message.fault !== 'clock_stuck') return;
    const { ts } = JSON.parse(message.payload) as { ts: number };
    this.verdicts.set(key(message.deviceId, message.ts), clockVerdict(ts, now, this.rules));
  }

  /** The truth with each published clock fault's outcome; one refused as too late no longer counts as valid. */
  apply(truth: GroundTruth): GroundTruth {
    const validMessages = { ...truth.validMessages, perDevice: { ...truth.validMessages.perDevice } };
    const faults = truth.faults.map((fault): FaultTruth => {
      const verdict = this.verdicts.get(key(fault.deviceId, fault.ts));
      if (verdict === undefined) return fault;
      if (verdict === 'corrected') return { ...fault, outcome: 'clock_corrected', reason: null };
      if (verdict !== 'too_late') return { ...fault, outcome: 'stored_as_stamped', reason: null };
      validMessages.telemetry--;
      const counts = validMessages.perDevice[fault.deviceId]!;
      validMessages.perDevice[fault.deviceId] = { ...counts, telemetry: counts.telemetry - 1 };
      return { ...fault, outcome: 'quarantined', reason: errorCodes.tooLate };
    });
    return { ...truth, faults, validMessages };
  }
}
