import { ambientTypes, builtInSessionRules, idSchema, type typeNameSchema } from '@parcours/contracts';
import { z } from 'zod';

/**
 * Ground-truth journeys: per subject, its sessions across devices in start order, cut where the subject
 * was inactive longer than a gap. A session counts for the subject it is attributed to (the owner) and
 * for the individual who really used it, so a morning routine is a journey of the person and its
 * household-device steps are also part of the household's journeys. Sessions of ambient device types
 * (a thermostat: Parcours' session rules) are part of no journey, as in Parcours.
 */

/** Inactivity that ends a journey; Parcours' journey analytics must use the same gap to be compared with it. */
export const journeyGapMs = 30 * 60_000;

export const journeyTruthSchema = z.object({
  subjectId: idSchema,
  startMs: z.number().int(),
  endMs: z.number().int(),
  steps: z.number().int().positive(),
  path: z.string().describe('device types in order, joined by ">" (coffee_machine>water_heater>car)'),
  durationS: z.number().nonnegative(),
});
export type JourneyTruth = z.infer<typeof journeyTruthSchema>;

interface SessionLike {
  deviceType: z.infer<typeof typeNameSchema>;
  subjectId: string | null;
  user: string | null;
  startMs: number;
  endMs: number;
}

const builtInAmbient = ambientTypes(builtInSessionRules);

export function buildJourneys(
  sessions: readonly SessionLike[],
  gapMs = journeyGapMs,
  ambient: (deviceType: string) => boolean = (type) => builtInAmbient.has(type),
): JourneyTruth[] {
  const bySubject = new Map<string, SessionLike[]>();
  const add = (subjectId: string | null, s: SessionLike) => {
    if (subjectId === null) return;
    const list = bySubject.get(subjectId);
    if (list) list.push(s);
    else bySubject.set(subjectId, [s]);
  };
  for (const s of sessions.filter((s) => !ambient(s.deviceType))) {
    add(s.subjectId, s);
    if (s.user !== s.subjectId) add(s.user, s);
  }
  const journeys: JourneyTruth[] = [];
  for (const [subjectId, mine] of bySubject) {
    // Sessions starting together (those running at a window's start, from one first sample) in Parcours' order.
    mine.sort((a, b) => a.startMs - b.startMs || (a.deviceType < b.deviceType ? -1 : a.deviceType > b.deviceType ? 1 : 0));
    let current: SessionLike[] = [];
    let reach = -Infinity;
    const close = () => {
      if (current.length === 0) return;
      const startMs = current[0]!.startMs;
      journeys.push({
        subjectId,
        startMs,
        endMs: reach,
        steps: current.length,
        path: current.map((s) => s.deviceType).join('>'),
        durationS: (reach - startMs) / 1000,
      });
      current = [];
    };
    for (const s of mine) {
      if (s.startMs - reach > gapMs) close();
      current.push(s);
      reach = Math.max(reach, s.endMs);
    }
    close();
  }
  return journeys.sort((a, b) => a.startMs - b.startMs || (a.subjectId < b.subjectId ? -1 : a.subjectId > b.subjectId ? 1 : 0));
}
