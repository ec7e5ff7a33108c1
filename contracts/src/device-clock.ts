/** How the gateway compares a device's clock with the receive time. */
export interface ClockRules {
  maxClockSkewMs: number;
  maxLatenessMs: number;
}

/** Before this, a device time is a clock that was never set (vzlogger#351: readings stamped 1971). */
const earliestPlausible = Date.UTC(2000, 0, 1);

/**
 * What the gateway makes of a device time given when the message was received: a time ahead of the
 * receipt by more than the skew, or implausibly old, is a wrong clock (`corrected`: the receive time
 * replaces it); one older than the lateness is `too_late`; one older than the skew is `late` (buffered,
 * replayed); otherwise `on_time`. The simulator's ground truth uses the same rule.
 */
export function clockVerdict(deviceTs: number, receivedAt: number, rules: ClockRules): 'corrected' | 'too_late' | 'late' | 'on_time' {
  if (deviceTs - receivedAt > rules.maxClockSkewMs || deviceTs < earliestPlausible) return 'corrected';
  if (receivedAt - deviceTs > rules.maxLatenessMs) return 'too_late';
  return receivedAt - deviceTs > rules.maxClockSkewMs ? 'late' : 'on_time';
}

/** The clock rules of a configuration's gateway. */
export function clockRulesOf(config: { gateway: { maxClockSkew: number; maxLateness: number } }): ClockRules {
  return { maxClockSkewMs: config.gateway.maxClockSkew, maxLatenessMs: config.gateway.maxLateness };
}
