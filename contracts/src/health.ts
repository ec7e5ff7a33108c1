import { z } from 'zod';

/** How one part of a running Parcours is doing: `ok`, and the figures that say why (lag, listeners…). */
export const partHealthSchema = z.looseObject({ ok: z.boolean().describe('whether the part is keeping up') });
export type PartHealth = z.infer<typeof partHealthSchema>;

/** `/healthz`: `ok` when every part is, else `degraded` (HTTP 503), with each part's own report. */
export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']).describe('`ok` when every part is'),
  parts: z
    .record(z.string(), partHealthSchema)
    .describe("each part's report by name (gateway, influx-raw, analytics, broker, http), with the figures that say why"),
});
export type Health = z.infer<typeof healthSchema>;
