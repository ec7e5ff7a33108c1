import { z } from 'zod';

/** How one part of a running Parcours is doing: `ok`, and the figures that say why (lag, listeners…). */
export const partHealthSchema = z.looseObject({ ok: z.boolean() });
export type PartHealth = z.infer<typeof partHealthSchema>;

/** `/healthz`: `ok` when every part is, else `degraded` (HTTP 503), with each part's own report. */
export const healthSchema = z.object({ status: z.enum(['ok', 'degraded']), parts: z.record(z.string(), partHealthSchema) });
export type Health = z.infer<typeof healthSchema>;
