/**
 * Matches derived usage sessions with ground-truth sessions, one to one, device by device.
 *
 * A candidate pair is the same device with overlapping intervals (touching counts: a session reduced to
 * its start event has no length). Candidates are taken closest first (smallest |Δstart| + |Δend|), so
 * each session is used once. A pair is a **match** when both its start and its end are within the
 * tolerance. The default is 0: sessions are cut at the device's own `usage.start`/`usage.stop`
 * timestamps, so a correct derivation reproduces them to the millisecond and any difference is an error
 * worth seeing. A candidate outside the tolerance is a **near miss**: it counts as a false positive and a
 * false negative, and is listed so that the cause (a lost stop, an idle cut) can be found.
 */

export interface TruthSessionLike {
  deviceId: string;
  deviceType: string;
  startMs: number;
  endMs: number;
}

export interface DerivedSessionLike {
  deviceId: string;
  deviceType: string;
  start: number;
  end: number;
}

export interface SessionPair<T, D> {
  truth: T;
  derived: D;
}

export interface SessionMatching<T, D> {
  matched: SessionPair<T, D>[];
  nearMisses: SessionPair<T, D>[];
  /** Truth sessions with no derived session: false negatives (near misses included). */
  missed: T[];
  /** Derived sessions with no truth session: false positives (near misses included). */
  spurious: D[];
}

function groupBy<V>(items: readonly V[], key: (v: V) => string): Map<string, V[]> {
  const groups = new Map<string, V[]>();
  for (const item of items) {
    const list = groups.get(key(item));
    if (list) list.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

export function matchSessions<T extends TruthSessionLike, D extends DerivedSessionLike>(
  truth: readonly T[],
  derived: readonly D[],
  toleranceMs = 0,
): SessionMatching<T, D> {
  const result: SessionMatching<T, D> = { matched: [], nearMisses: [], missed: [], spurious: [] };
  const derivedByDevice = groupBy(derived, (d) => d.deviceId);
  const truthByDevice = groupBy(truth, (t) => t.deviceId);
  for (const deviceId of new Set([...truthByDevice.keys(), ...derivedByDevice.keys()])) {
    const ts = truthByDevice.get(deviceId) ?? [];
    const ds = derivedByDevice.get(deviceId) ?? [];
    const candidates: { t: T; d: D; distance: number }[] = [];
    for (const t of ts) {
      for (const d of ds) {
        if (d.start <= t.endMs && t.startMs <= d.end) candidates.push({ t, d, distance: Math.abs(d.start - t.startMs) + Math.abs(d.end - t.endMs) });
      }
    }
    candidates.sort((a, b) => a.distance - b.distance || a.t.startMs - b.t.startMs);
    const usedT = new Set<T>();
    const usedD = new Set<D>();
    const matchedT = new Set<T>();
    const matchedD = new Set<D>();
    for (const { t, d } of candidates) {
      if (usedT.has(t) || usedD.has(d)) continue;
      usedT.add(t);
      usedD.add(d);
      if (Math.abs(d.start - t.startMs) <= toleranceMs && Math.abs(d.end - t.endMs) <= toleranceMs) {
        result.matched.push({ truth: t, derived: d });
        matchedT.add(t);
        matchedD.add(d);
      } else {
        result.nearMisses.push({ truth: t, derived: d });
      }
    }
    result.missed.push(...ts.filter((t) => !matchedT.has(t)));
    result.spurious.push(...ds.filter((d) => !matchedD.has(d)));
  }
  return result;
}

export interface Scores {
  truth: number;
  derived: number;
  matched: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Precision, recall and F1 of a matching; an empty side scores 1 (nothing to find, nothing wrongly found). */
export function scoreMatching(m: { matched: readonly unknown[]; missed: readonly unknown[]; spurious: readonly unknown[] }): Scores {
  const matched = m.matched.length;
  const derived = matched + m.spurious.length;
  const truth = matched + m.missed.length;
  const precision = derived === 0 ? 1 : matched / derived;
  const recall = truth === 0 ? 1 : matched / truth;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { truth, derived, matched, precision, recall, f1 };
}

/** The scores of every device type, from one matching. */
export function scoreByDeviceType<T extends TruthSessionLike, D extends DerivedSessionLike>(m: SessionMatching<T, D>): Record<string, Scores> {
  const types = new Set([...m.matched.map((p) => p.truth.deviceType), ...m.missed.map((t) => t.deviceType), ...m.spurious.map((d) => d.deviceType)]);
  const byType: Record<string, Scores> = {};
  for (const type of [...types].sort()) {
    byType[type] = scoreMatching({
      matched: m.matched.filter((p) => p.truth.deviceType === type),
      missed: m.missed.filter((t) => t.deviceType === type),
      spurious: m.spurious.filter((d) => d.deviceType === type),
    });
  }
  return byType;
}
