/** Where the surveys read the time (`surveys.clock`). */
export type SurveyClockSource = 'system' | 'device';

/**
 * The `now` at which the trigger job decides prompts, the delivery sends and clears them and the prompt routes
 * take replies. `system` is the machine's clock. `device` is the device time the analytics have committed (their
 * watermark): a result is announced in the transaction that moves the watermark past it, so it is decided at the
 * time its data reached, and the delivery, on the same clock, sends a prompt once the data reached its send time
 * and drops it once past its expiry: decided, then delivered, then expired, whatever the pace of a replay. (The
 * log's latest device time would run ahead of the analytics under load, expiring prompts before their decision.)
 * The device clock never goes back, and reads -Infinity until the first data: nothing is due before it.
 */
export function surveyClock(source: SurveyClockSource, deviceTime: () => number): () => number {
  if (source === 'system') return Date.now;
  let reached = Number.NEGATIVE_INFINITY;
  return () => {
    reached = Math.max(reached, deviceTime());
    return reached;
  };
}
