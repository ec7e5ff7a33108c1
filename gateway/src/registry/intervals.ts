/** Half-open intervals `[from, to)` in ms; `to` null is open-ended. Pure helpers shared by the registry. */
export interface Interval {
  validFrom: number;
  validTo: number | null;
}

export function overlaps(a: Interval, b: Interval): boolean {
  const aEnd = a.validTo ?? Number.POSITIVE_INFINITY;
  const bEnd = b.validTo ?? Number.POSITIVE_INFINITY;
  return a.validFrom < bEnd && b.validFrom < aEnd;
}

export function contains(interval: Interval, t: number): boolean {
  return interval.validFrom <= t && (interval.validTo === null || t < interval.validTo);
}

export function isValidInterval(interval: Interval): boolean {
  return interval.validTo === null || interval.validTo > interval.validFrom;
}
