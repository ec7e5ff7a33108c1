import { normal, poisson, rngFor, triangular, uniform, type Rng } from '../prng.js';
import type { Sequence, VisitorRule, World } from '../scenario/schema.js';
import { dayMs, dayOf, hourMs, weekdayOf } from './time.js';

/** A session before overlaps are resolved: where it starts, how long it lasts, who uses it. */
export interface DraftSession {
  startMs: number;
  durationMs: number;
  user: string | null;
  interactions: number;
}

/** A visitor's bounded membership, registered with the world before the run and recorded in the ground truth. */
export interface VisitorStay {
  individualId: string;
  rule: string;
  collective: string;
  role: string;
  validFrom: number;
  validTo: number;
}

/** Stays last at most 3 days and sequences less than one: looking back this many days finds every plan that reaches a day. */
const lookBackDays = 3;

export function drawDuration(rng: Rng, d: { typicalMs: number; spread: number; minMs: number; maxMs: number }): number {
  return Math.min(d.maxMs, Math.max(d.minMs, Math.round(d.typicalMs * Math.exp(d.spread * normal(rng)))));
}

function sequenceDrafts(seed: number, individualId: string, index: number, q: Sequence, day: number): { deviceId: string; draft: DraftSession }[] {
  const rng = rngFor(seed, 'sequence', individualId, index, day);
  if (rng() >= q.perDay * (q.days[weekdayOf(day)] ?? 0)) return [];
  let at = day * dayMs + Math.floor(triangular(rng, q.from, (q.from + q.to) / 2, q.to) * hourMs);
  return q.steps.map((step) => {
    const durationMs = drawDuration(rng, step.duration);
    const draft = { startMs: at, durationMs, user: individualId, interactions: 0 };
    at += durationMs + Math.round(uniform(rng, step.gapAfter / 2, step.gapAfter * 2));
    return { deviceId: step.device, draft };
  });
}

function visitorsOfDay(seed: number, rule: VisitorRule, day: number): { stay: VisitorStay; sessions: { deviceId: string; draft: DraftSession }[] }[] {
  const rng = rngFor(seed, 'visitors', rule.id, day);
  const count = poisson(rng, rule.perDay * (rule.days[weekdayOf(day)] ?? 0));
  return Array.from({ length: count }, (_, n) => {
    const validFrom = day * dayMs + Math.floor(uniform(rng, rule.from, rule.to) * hourMs);
    const stay: VisitorStay = {
      individualId: `${rule.id}-${day}-${n}`,
      rule: rule.id,
      collective: rule.collective,
      role: rule.role,
      validFrom,
      validTo: validFrom + rule.stay,
    };
    const sessions = rule.uses.flatMap((use) =>
      Array.from({ length: use.sessions }, () => {
        const durationMs = Math.min(drawDuration(rng, use.duration), rule.stay - 1000);
        const startMs = validFrom + Math.floor(rng() * (rule.stay - durationMs));
        return { deviceId: use.device, draft: { startMs, durationMs, user: stay.individualId, interactions: 0 } };
      }),
    );
    return { stay, sessions };
  });
}

/**
 * The sessions that personal sequences and visitors add to devices, per UTC day of their start. Each
 * source day is drawn from (seed, who, day) alone, so any window sees the same plans.
 */
export class PlanBook {
  private readonly sources = new Map<number, { stays: VisitorStay[]; sessions: { deviceId: string; draft: DraftSession }[] }>();
  private readonly byDay = new Map<number, Map<string, DraftSession[]>>();

  constructor(
    private readonly world: World,
    private readonly seed: number,
  ) {}

  /** Planned drafts of a device that start on `day`. */
  drafts(deviceId: string, day: number): DraftSession[] {
    let planned = this.byDay.get(day);
    if (!planned) {
      planned = new Map();
      for (let source = day - lookBackDays; source <= day; source++) {
        for (const { deviceId: id, draft } of this.source(source).sessions) {
          if (dayOf(draft.startMs) !== day) continue;
          const list = planned.get(id);
          if (list) list.push(draft);
          else planned.set(id, [draft]);
        }
      }
      this.byDay.set(day, planned);
    }
    return planned.get(deviceId) ?? [];
  }

  /** Visitors whose stay overlaps [fromMs, toMs). */
  staysBetween(fromMs: number, toMs: number): VisitorStay[] {
    const stays: VisitorStay[] = [];
    for (let day = dayOf(fromMs) - lookBackDays; day <= dayOf(Math.max(fromMs, toMs - 1)); day++) {
      stays.push(...this.source(day).stays.filter((s) => s.validTo > fromMs && s.validFrom < toMs));
    }
    return stays;
  }

  private source(day: number): { stays: VisitorStay[]; sessions: { deviceId: string; draft: DraftSession }[] } {
    let source = this.sources.get(day);
    if (!source) {
      const sessions = this.world.individuals.flatMap((p) => p.sequences.flatMap((q, i) => sequenceDrafts(this.seed, p.id, i, q, day)));
      const visitors = this.world.visitors.flatMap((rule) => visitorsOfDay(this.seed, rule, day));
      source = { stays: visitors.map((v) => v.stay), sessions: [...sessions, ...visitors.flatMap((v) => v.sessions)] };
      this.sources.set(day, source);
    }
    return source;
  }
}
