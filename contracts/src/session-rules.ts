import { z } from 'zod';
import { durationTextSchema } from './duration.js';
import { typeNameSchema } from './ids.js';

/**
 * When a device's telemetry says it is in use, for device types whose devices may not send
 * `usage.start`/`usage.stop`: a metric compared with a threshold.
 */
export const thresholdRuleSchema = z.strictObject({
  metric: z.string().min(1).describe('telemetry metric compared (a boolean counts as 0 or 1)'),
  comparison: z.enum(['above', 'below']).default('above').describe('in use while the metric is above (or below) the threshold'),
  threshold: z.number(),
  hysteresis: z.number().nonnegative().default(0).describe('to close, the metric must pass back beyond the threshold by this much (no flapping near it)'),
  closeAfter: durationTextSchema
    .default(0)
    .describe('the metric must stay off this long before the session closes (bridges a noisy sample or a pause); the session ends at the first off sample'),
  minDuration: durationTextSchema.default(0).describe('shorter sessions are dropped as noise'),
});
export type ThresholdRule = z.output<typeof thresholdRuleSchema>;

/** The session rules of one device type; what is not given falls back to the global settings. */
export const sessionRuleSchema = z.strictObject({
  threshold: thresholdRuleSchema.optional().describe('derive sessions from telemetry when the device sends no usage events'),
  idleTimeout: durationTextSchema.optional(),
  maxLength: durationTextSchema.optional(),
  ambient: z
    .boolean()
    .optional()
    .describe(
      'devices of this type run on their own, used by nobody in particular (a thermostat): their sessions are part of no journey and get no inferred actor',
    ),
});
export type SessionRule = z.output<typeof sessionRuleSchema>;

export const sessionRulesSchema = z.record(typeNameSchema, sessionRuleSchema);
export type SessionRulesInput = z.input<typeof sessionRulesSchema>;

/**
 * Built-in rules for the device types of the simulator's worlds. The thresholds sit far from both the
 * idle and the active power of the models, and `closeAfter` bridges the single noisy sample of a
 * washing machine (±40 % noise, and real ones pause between phases) or a car stopped at a light (±35 %:
 * without it, 4 in 10 two-hour trips would be split); kept short for vehicles, where a new rental can
 * follow the last one within minutes. Printers, toothbrushes, badge readers, phones, call buttons,
 * lockers and medication cabinets have none: their uses are shorter than their telemetry interval, or
 * their telemetry does not show them, so only their events can. Thermostats, fridges, hot-water tanks
 * (reheating on their own schedule) and ventilation (running on a timer) are ambient; a water heater is
 * not: in the simulator's homes its sessions are hot-water draws, someone's shower. A dishwasher pauses
 * between its phases as a washing machine does; an activity tracker counts steps, so a walk is a session
 * and its wearer's activity for actor inference.
 */
export const builtInSessionRules: SessionRulesInput = {
  coffee_machine: { threshold: { metric: 'power_w', threshold: 100 } },
  tv: { threshold: { metric: 'power_w', threshold: 20, hysteresis: 5 } },
  meeting_display: { threshold: { metric: 'power_w', threshold: 15, hysteresis: 5 } },
  washing_machine: { threshold: { metric: 'power_w', threshold: 50, closeAfter: '5m', minDuration: '5m' }, maxLength: '6h' },
  water_heater: { threshold: { metric: 'power_w', threshold: 500 } },
  thermostat: { threshold: { metric: 'setpoint_c', threshold: 19 }, ambient: true },
  fridge: { ambient: true },
  ebike: { threshold: { metric: 'speed_kmh', threshold: 3, closeAfter: '1m' }, maxLength: '12h' },
  car: { threshold: { metric: 'speed_kmh', threshold: 3, closeAfter: '1m' } },
  kettle: { threshold: { metric: 'power_w', threshold: 200 } },
  oven: { threshold: { metric: 'power_w', threshold: 200 } },
  microwave: { threshold: { metric: 'power_w', threshold: 200 } },
  dishwasher: { threshold: { metric: 'power_w', threshold: 50, closeAfter: '3m', minDuration: '5m' }, maxLength: '6h' },
  ev_charger: { threshold: { metric: 'power_w', threshold: 500 }, maxLength: '12h' },
  game_console: { threshold: { metric: 'power_w', threshold: 30, hysteresis: 5 } },
  desktop_pc: { threshold: { metric: 'power_w', threshold: 40, hysteresis: 5 } },
  shower: { threshold: { metric: 'flow_l_min', threshold: 2 } },
  activity_tracker: { threshold: { metric: 'steps_min', threshold: 20 } },
  ventilation: { threshold: { metric: 'power_w', threshold: 20 }, ambient: true },
  hot_water_tank: { threshold: { metric: 'power_w', threshold: 500 }, ambient: true },
};

/** The device types the rules declare ambient. */
export function ambientTypes(rules: Readonly<Record<string, { ambient?: boolean }>>): Set<string> {
  return new Set(
    Object.entries(rules)
      .filter(([, rule]) => rule.ambient === true)
      .map(([type]) => type),
  );
}
