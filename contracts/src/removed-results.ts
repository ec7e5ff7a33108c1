import { z } from 'zod';

/**
 * A session or journey a re-derivation removed: its start moved (so its id changed) or it merged into
 * another; or a session a registry correction moved away from this subject or actor (same id).
 * Published on `subjects/{id}/sessions/removed` and `subjects/{id}/journeys/removed`, so that
 * integrators who mirror results can delete it; the results now covering its time come on the usual topics.
 */
export const removedResultSchema = z.object({
  kind: z.enum(['session', 'journey']),
  id: z.string(),
  replacedBy: z
    .array(z.string())
    .describe('ids of the results of the same device (sessions) or subject (journeys) that now overlap its time; a moved session: its own id'),
});
export type RemovedResult = z.output<typeof removedResultSchema>;
