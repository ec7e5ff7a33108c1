import type { SubjectKind } from '@parcours/contracts';
import type { SessionPair } from './session-matching.js';

/**
 * Attribution against the ground truth: is the subject (the device's owner, individual or collective)
 * right, and is the individual (who really used it) right? Counted apart where the registry or an actor
 * decides (a device owned by an individual, or an actor reported by the device) — where Parcours must be
 * right every time — and where the individual can only be inferred (a shared device that names nobody).
 */

export interface TruthAttributionLike {
  deviceId: string;
  subjectId: string | null;
  user: string | null;
  actor: string | null;
  startMs: number;
  endMs: number;
}

export interface DerivedAttributionLike {
  subjectId: string | null;
  subjectKind: SubjectKind | null;
  actor: string | null;
}

export interface AttributionShare {
  count: number;
  subjectRight: number;
  individualRight: number;
  /** Shares in [0, 1]; 1 when there is nothing to count. */
  subjectShare: number;
  individualShare: number;
}

export interface AttributionAccuracy {
  decided: AttributionShare;
  inferred: AttributionShare;
}

type KindOf = (subjectId: string) => SubjectKind | undefined;

/** The registry decides who used a personal device; the device decides when it names an actor. */
export function isDecided(truth: Pick<TruthAttributionLike, 'subjectId' | 'actor'>, kindOf: KindOf): boolean {
  return truth.actor !== null || (truth.subjectId !== null && kindOf(truth.subjectId) === 'individual');
}

/** The individual Parcours gives: the owner when it is an individual, else the reported actor. */
export function attributedIndividual(derived: DerivedAttributionLike): string | null {
  return derived.subjectKind === 'individual' ? derived.subjectId : derived.actor;
}

class Tally {
  private count = 0;
  private subjectRight = 0;
  private individualRight = 0;

  add(subjectRight: boolean, individualRight: boolean): void {
    this.count += 1;
    if (subjectRight) this.subjectRight += 1;
    if (individualRight) this.individualRight += 1;
  }

  share(): AttributionShare {
    const of = (n: number) => (this.count === 0 ? 1 : n / this.count);
    return {
      count: this.count,
      subjectRight: this.subjectRight,
      individualRight: this.individualRight,
      subjectShare: of(this.subjectRight),
      individualShare: of(this.individualRight),
    };
  }
}

/**
 * Over matched sessions. Where nothing decides, the individual compared is the reported actor or else
 * the inferred one (`inferredActor`), since that is the best Parcours offers there.
 */
export function sessionAttribution<T extends TruthAttributionLike, D extends DerivedAttributionLike & { inferredActor: string | null }>(
  pairs: readonly SessionPair<T, D>[],
  kindOf: KindOf,
): AttributionAccuracy {
  const decided = new Tally();
  const inferred = new Tally();
  for (const { truth, derived } of pairs) {
    const subjectRight = derived.subjectId === truth.subjectId;
    if (isDecided(truth, kindOf)) decided.add(subjectRight, attributedIndividual(derived) === truth.user);
    else inferred.add(subjectRight, (derived.actor ?? derived.inferredActor) === truth.user);
  }
  return { decided: decided.share(), inferred: inferred.share() };
}

export interface EventAttributionLike extends DerivedAttributionLike {
  deviceId: string;
  ts: number;
}

/**
 * Over stored usage events: each is judged against the truth session of its device that contains its
 * time (events outside every truth session, e.g. of a session that began before the window, are not
 * counted). Events carry no inference, so where nothing decides only the reported actor is compared.
 */
export function eventAttribution(
  events: readonly EventAttributionLike[],
  truth: readonly TruthAttributionLike[],
  kindOf: KindOf,
): AttributionAccuracy & { unjudged: number } {
  const byDevice = new Map<string, TruthAttributionLike[]>();
  for (const t of truth) {
    const list = byDevice.get(t.deviceId);
    if (list) list.push(t);
    else byDevice.set(t.deviceId, [t]);
  }
  const decided = new Tally();
  const inferred = new Tally();
  let unjudged = 0;
  for (const event of events) {
    const session = byDevice.get(event.deviceId)?.find((t) => t.startMs <= event.ts && event.ts <= t.endMs);
    if (!session) {
      unjudged += 1;
      continue;
    }
    const subjectRight = event.subjectId === session.subjectId;
    if (isDecided(session, kindOf)) decided.add(subjectRight, attributedIndividual(event) === session.user);
    else inferred.add(subjectRight, event.actor === session.user);
  }
  return { decided: decided.share(), inferred: inferred.share(), unjudged };
}
