import { z } from 'zod';
import { idSchema, typeNameSchema } from './ids.js';
import { subjectKindSchema } from './registry.js';
import { instantSchema } from './time.js';

/**
 * A journey of one subject: its usage sessions across devices in start order, up to an
 * inactivity gap. As served by the API and published on `subjects/{id}/journeys`.
 */
export const journeySchema = z.object({
  id: z.string().describe('stable: the subject and the start time, so a re-derivation replaces it'),
  subjectId: idSchema,
  subjectKind: subjectKindSchema.nullable(),
  subjectType: typeNameSchema.nullable(),
  start: instantSchema,
  end: instantSchema.describe('the latest end of its sessions'),
  durationS: z.number().nonnegative(),
  steps: z.number().int().positive().describe('number of sessions'),
  path: z.string().describe('device types of its sessions in start order, joined by ">" (coffee_machine>shower>car)'),
  sessions: z.array(z.string()).describe('ids of its sessions, in start order'),
});
export type Journey = z.output<typeof journeySchema>;

export function journeyId(subjectId: string, startMs: number): string {
  return `${subjectId}@${startMs}`;
}
