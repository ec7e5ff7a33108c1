import type { Funnel, FunnelResult, FunnelStep } from '@parcours/contracts';

/** One thing a subject did that a funnel step may match: a usage session's start, or an event. */
export interface Occurrence {
  subjectId: string;
  ts: number;
  /** `stepKey` of what it was. */
  key: string;
}

export function stepKey(step: FunnelStep): string {
  return step.deviceType !== undefined ? `device:${step.deviceType}` : `event:${step.eventType ?? ''}`;
}

/**
 * The times of the steps one entry reaches: from the step-1 occurrence at `at` (index `entry` in the
 * subject's occurrences sorted by time), each next step is the earliest matching occurrence strictly
 * after the previous step and at most `windowMs` after the entry. Taking the earliest never loses a
 * later step, so this is the furthest the entry can go.
 */
function follow(sorted: readonly Occurrence[], entry: number, keys: readonly string[], windowMs: number): number[] {
  const start = sorted[entry]!.ts;
  const times = [start];
  let i = entry;
  for (let k = 1; k < keys.length; k++) {
    const previous = times[k - 1]!;
    i++;
    while (i < sorted.length && !(sorted[i]!.key === keys[k] && sorted[i]!.ts > previous)) i++;
    if (i >= sorted.length || sorted[i]!.ts > start + windowMs) break;
    times.push(sorted[i]!.ts);
  }
  return times;
}

/** Per subject entering in `[from, to)`, the step times of its entry that went furthest (the earliest such entry). */
export function funnelPaths(funnel: Pick<Funnel, 'steps' | 'window'>, from: number, to: number, occurrences: readonly Occurrence[]): Map<string, number[]> {
  const keys = funnel.steps.map(stepKey);
  const bySubject = new Map<string, Occurrence[]>();
  for (const o of occurrences) {
    if (!keys.includes(o.key)) continue;
    const list = bySubject.get(o.subjectId);
    if (list) list.push(o);
    else bySubject.set(o.subjectId, [o]);
  }
  const paths = new Map<string, number[]>();
  for (const [subjectId, list] of bySubject) {
    const sorted = list.sort((a, b) => a.ts - b.ts);
    let best: number[] | null = null;
    for (let i = 0; i < sorted.length && (best?.length ?? 0) < keys.length; i++) {
      const o = sorted[i]!;
      if (o.key !== keys[0] || o.ts < from || o.ts >= to) continue;
      const times = follow(sorted, i, keys, funnel.window);
      if (!best || times.length > best.length) best = times;
    }
    if (best) paths.set(subjectId, best);
  }
  return paths;
}

/** The subjects entering in `[from, to)` whose furthest entry reached step `step` (1 = entry): those `computeFunnel` counts at that step. */
export function subjectsReaching(
  funnel: Pick<Funnel, 'steps' | 'window'>,
  step: number,
  from: number,
  to: number,
  occurrences: readonly Occurrence[],
): Set<string> {
  const reached = new Set<string>();
  for (const [subjectId, times] of funnelPaths(funnel, from, to, occurrences)) if (times.length >= step) reached.add(subjectId);
  return reached;
}

/**
 * Whether the subject reaches step `step` (1 = entry) exactly at `at` from one of its entries in
 * `[at - window, at]`, following each entry as `funnelPaths` does: the moment a step is reached, which an
 * occurrence at `at` may be. `occurrences` are the subject's own, read up to `at`.
 */
export function reachesStepAt(funnel: Pick<Funnel, 'steps' | 'window'>, step: number, at: number, occurrences: readonly Occurrence[]): boolean {
  const keys = funnel.steps.map(stepKey);
  const sorted = occurrences.filter((o) => keys.includes(o.key)).sort((a, b) => a.ts - b.ts);
  return sorted.some((o, i) => o.key === keys[0] && o.ts >= at - funnel.window && o.ts <= at && follow(sorted, i, keys, funnel.window)[step - 1] === at);
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

/**
 * A funnel over `[from, to)` from the occurrences of its steps (as PostHog's ordered funnels count them):
 * each subject counts once, at the furthest step any of its entries reached.
 */
export function computeFunnel(funnel: Funnel, from: number, to: number, occurrences: readonly Occurrence[]): FunnelResult {
  const paths = [...funnelPaths(funnel, from, to, occurrences).values()];
  const reached = funnel.steps.map((_, k) => paths.filter((times) => times.length > k).length);
  const entered = reached[0]!;
  const last = funnel.steps.length - 1;
  const seconds = (ms: number) => ms / 1000;
  return {
    name: funnel.name,
    countBy: funnel.countBy,
    from,
    to,
    windowS: seconds(funnel.window),
    entered,
    converted: reached[last]!,
    conversion: ratio(reached[last]!, entered),
    medianSecondsToConvert: median(paths.filter((t) => t.length > last).map((t) => seconds(t[last]! - t[0]!))),
    steps: funnel.steps.map((step, k) => ({
      step: k + 1,
      ...step,
      reached: reached[k]!,
      conversionFromPrevious: k === 0 ? ratio(entered, entered) : ratio(reached[k]!, reached[k - 1]!),
      conversionFromStart: ratio(reached[k]!, entered),
      medianSecondsFromPrevious: k === 0 ? null : median(paths.filter((t) => t.length > k).map((t) => seconds(t[k]! - t[k - 1]!))),
    })),
  };
}
