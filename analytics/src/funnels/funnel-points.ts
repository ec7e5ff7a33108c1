import { measurements, tags, type FunnelResult } from '@parcours/contracts';
import type { InfluxPoint } from '@parcours/gateway';

/**
 * The `funnel` points of the subjects who entered a funnel on one day: one per step, at the day's start.
 * Summed over days they give a range's funnel, counting a subject once per day it entered.
 */
export function funnelPoints(day: number, result: FunnelResult): InfluxPoint[] {
  return result.steps.map((step) => ({
    measurement: measurements.funnel,
    tags: { [tags.funnel]: result.name, [tags.step]: String(step.step), [tags.stepType]: step.deviceType ?? step.eventType ?? '' },
    fields: {
      ...(step.conversionFromStart === null ? {} : { conversion_from_start: step.conversionFromStart }),
      ...(step.conversionFromPrevious === null ? {} : { conversion_from_previous: step.conversionFromPrevious }),
      ...(step.medianSecondsFromPrevious === null ? {} : { median_from_previous_s: step.medianSecondsFromPrevious }),
    },
    intFields: { reached: step.reached },
    timestampMs: day,
  }));
}
