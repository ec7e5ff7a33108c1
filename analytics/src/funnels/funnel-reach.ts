import { errorCodes, ParcoursError, type Funnel, type FunnelStep } from '@parcours/contracts';
import { reachesStepAt, stepKey, subjectsReaching, type Occurrence } from './funnel-counter.js';

/** The declared funnel a condition on individuals names, if it counts individuals and has the step; refused otherwise, naming it. */
export function individualFunnel(funnels: readonly Funnel[], name: string, step: number): Funnel {
  const funnel = funnels.find((f) => f.name === name);
  if (!funnel) {
    const declared = funnels.length === 0 ? 'none is' : `${funnels.map((f) => f.name).join(', ')} are`;
    throw new ParcoursError(errorCodes.validation, `no funnel "${name}" is declared in analytics.funnels (${declared})`);
  }
  if (funnel.countBy !== 'individual')
    throw new ParcoursError(
      errorCodes.validation,
      `the funnel "${name}" is counted by ${funnel.countBy}: only a funnel counted by individual tells which people reached a step`,
    );
  if (step > funnel.steps.length)
    throw new ParcoursError(errorCodes.validation, `the funnel "${name}" has ${funnel.steps.length} steps: there is no step ${step}`);
  return funnel;
}

/**
 * The individuals who entered the funnel `name` in `[from, to)` and reached its step `step` (1 = entry)
 * before `to`: as the funnel routes count them, from occurrences read up to `to` only (what came after
 * does not count). Refuses a funnel that is not declared, is counted by collective, or has no such step.
 */
export function individualsReachingStep(
  funnels: readonly Funnel[],
  occurrences: (funnel: Funnel, from: number, to: number) => Occurrence[],
  name: string,
  step: number,
  from: number,
  to: number,
): Set<string> {
  const funnel = individualFunnel(funnels, name, step);
  return subjectsReaching(funnel, step, from, to, occurrences(funnel, from, to));
}

/**
 * Whether the individual reached step `step` of the declared funnel `name` at `at` with what it did then (a
 * session's start on a device type, or an event of a type): that must be the step's kind, and an entry within
 * the funnel's window before must lead to it there. False for a funnel not declared, counted by collective or
 * without that step.
 */
export function reachedStepAt(
  funnels: readonly Funnel[],
  occurrences: (funnel: Funnel, from: number, to: number) => Occurrence[],
  reach: { funnel: string; step: number; individualId: string; what: FunnelStep; at: number },
): boolean {
  const funnel = funnels.find((f) => f.name === reach.funnel);
  const step = funnel?.steps[reach.step - 1];
  if (funnel?.countBy !== 'individual' || !step || stepKey(step) !== stepKey(reach.what)) return false;
  const own = occurrences(funnel, reach.at - funnel.window, reach.at + 1).filter((o) => o.subjectId === reach.individualId);
  return reachesStepAt(funnel, reach.step, reach.at, own);
}
