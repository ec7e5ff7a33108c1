import { z } from 'zod';
import { quarantineReasons } from './errors.js';
import { instantSchema } from './time.js';

/** The minutes `GET /fleet` counts messages over: the current one and those before it, an hour in all. */
export const fleetMinutes = 60;

const minuteCountSchema = z.object({
  start: instantSchema.describe('start of the minute (UTC), by the time the messages were received'),
  accepted: z.number().int().nonnegative().describe('messages received then and accepted into the log (telemetry and events)'),
  quarantined: z.number().int().nonnegative().describe('messages received then and quarantined'),
});

/** The fleet as it stands: what the live view of the web page shows, read from the store on request. */
export const fleetSchema = z.object({
  at: instantSchema.describe('when these figures were read'),
  devices: z
    .object({
      registered: z.number().int().nonnegative().describe('devices the registry holds'),
      online: z.number().int().nonnegative().describe('devices whose latest status is `online`'),
    })
    .describe('the devices of the registry'),
  perMinute: z
    .array(minuteCountSchema)
    .describe(`the last ${fleetMinutes} minutes, oldest first, each present even when empty; the last is the current minute, so far`),
  quarantine: z
    .object({
      held: z.number().int().nonnegative().describe('messages the quarantine holds now'),
      byReason: z
        .array(
          z.object({
            reason: z.enum(quarantineReasons).describe('why they were quarantined'),
            count: z.number().int().positive().describe('messages the quarantine holds for that reason'),
          }),
        )
        .describe('those messages by reason, most first'),
    })
    .describe('what the quarantine holds'),
});
export type Fleet = z.output<typeof fleetSchema>;
