/**
 * The probability that each member of a collective used its shared device, from the members' personal-device
 * activity around the session's start (docs/analytics.md, "Actor inference"). Bayes' rule with a uniform
 * prior over the members: each member's evidence weighs by its likelihood ratio — how much likelier it is
 * when that member is the user than when someone else is — and the posterior of a member is its ratio over
 * the sum of all members' ratios. A member none of whose devices sent anything near the start is not
 * observed: ratio 1, its prior share kept.
 *
 * The ratios were fitted on simulated runs (scenarios `small` and `city`, seeds 1–10 and 1–3) by counting,
 * per bin of the nearest activity's offset from the start, users against other members; they were checked
 * on other seeds (4–6, 11–20).
 * They say what the simulated habits make of activity: a person's own device is used 10 to 20 minutes after
 * the shared device they used (coffee, then shower, then brushing), while someone else's falls anywhere.
 */

const binMs = 10 * 60_000;

/** Likelihood ratio of the nearest activity, per 10-minute bin of its offset from the start: `[-30, -20)` first, `[20, 30]` last. */
const offsetRatios = [0.00295, 0.00332, 0.0024, 0.115, 20.4, 1.42] as const;

/** Likelihood ratio of a member whose devices sent records near the start, none of them activity. */
const inactiveRatio = 0.000452;

/** How far from the start activity was fitted: farther, a member counts as observed but inactive. */
const fittedRangeMs = 3 * binMs;

/** What the log shows of a member around a session's start. */
export interface MemberEvidence {
  /** Time of the member's activity nearest the start, minus the start; null when none. */
  offsetMs: number | null;
  /** Whether any device of the member sent anything (activity or not) near the start. */
  observed: boolean;
}

/** Whether the member was active within the range the ratios were fitted for; activity farther off is none. */
export function activeNear(evidence: MemberEvidence): boolean {
  return evidence.offsetMs !== null && Math.abs(evidence.offsetMs) <= fittedRangeMs;
}

export function likelihoodRatio(evidence: MemberEvidence): number {
  if (activeNear(evidence)) {
    const bin = Math.min(offsetRatios.length - 1, Math.floor((evidence.offsetMs! + fittedRangeMs) / binMs));
    return offsetRatios[bin]!;
  }
  return evidence.observed ? inactiveRatio : 1;
}

/** Each member's probability of being the user, given the evidence of all (members with no record: not observed). */
export function memberPosteriors(members: readonly string[], evidence: ReadonlyMap<string, MemberEvidence>): Map<string, number> {
  const unobserved: MemberEvidence = { offsetMs: null, observed: false };
  const ratios = members.map((id) => [id, likelihoodRatio(evidence.get(id) ?? unobserved)] as const);
  const total = ratios.reduce((sum, [, r]) => sum + r, 0);
  return new Map(ratios.map(([id, r]) => [id, total === 0 ? 0 : r / total]));
}
