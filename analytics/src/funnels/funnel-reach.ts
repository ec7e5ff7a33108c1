import { errorCodes, ParcoursError, type Funnel } from '@parcours/contracts';
import { subjectsReaching, type Occurrence } from './funnel-counter.js';

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
