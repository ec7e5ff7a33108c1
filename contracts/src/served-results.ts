import { z } from 'zod';
import { idSchema } from './ids.js';
import { journeySchema } from './journeys.js';
import { sessionCloseReasons, usageSessionSchema } from './sessions.js';
import { instantSchema } from './time.js';

/**
 * Sessions and journeys as the API serves them: the closed ones, final until a re-derivation replaces
 * them, and, on request, the open ones as they stand, which close later under the same id.
 */
export const resultStatuses = ['open', 'closed'] as const;

export const statusQuerySchema = z
  .enum([...resultStatuses, 'all'])
  .default('closed')
  .describe('`closed` (the default): final results only; `open`: those still open, as they stand; `all`: both');

const statusField = z.enum(resultStatuses).describe('`open`: still going; it changes and closes later under the same id');

export const servedSessionSchema = usageSessionSchema.extend({
  status: statusField,
  end: instantSchema.describe('its end; while open, its latest message so far'),
  closedBy: z.enum(sessionCloseReasons).nullable().describe('what closed it; null while open'),
  closesBy: instantSchema
    .nullable()
    .describe(
      'while open, the device time by which it closes at the latest: its latest message plus the idle timeout, or its start plus the maximum length if earlier; null once closed',
    ),
  collectives: z
    .array(idSchema)
    .describe(
      'the collectives it was attributed to as of its start: the collective owning its device, and those its person (the reported actor, or the individual owning the device) belonged to then',
    ),
});
export type ServedSession = z.output<typeof servedSessionSchema>;

export const servedJourneySchema = journeySchema.extend({
  status: statusField,
  end: instantSchema.describe('the latest end of its sessions; an open session counts with its latest message so far'),
  closesBy: instantSchema
    .nullable()
    .describe(
      'while open, the device time by which it closes at the latest if no other session joins it: the latest its sessions can end plus the journey gap; null once closed',
    ),
});
export type ServedJourney = z.output<typeof servedJourneySchema>;
