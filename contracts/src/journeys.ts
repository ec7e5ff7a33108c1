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
  subjectId: idSchema.describe('the subject whose journey it is'),
  subjectKind: subjectKindSchema.nullable().describe("the subject's kind"),
  subjectType: typeNameSchema.nullable().describe("the subject's type"),
  start: instantSchema.describe('the start of its first session (ISO 8601)'),
  end: instantSchema.describe('the latest end of its sessions'),
  durationS: z.number().nonnegative().describe('end − start, in seconds'),
  steps: z.number().int().positive().describe('number of sessions'),
  path: z.string().describe('device types of its sessions in start order, joined by ">" (coffee_machine>shower>car)'),
  sessions: z.array(z.string()).describe('ids of its sessions, in start order'),
});
export type Journey = z.output<typeof journeySchema>;

export function journeyId(subjectId: string, startMs: number): string {
  return `${subjectId}@${startMs}`;
}
