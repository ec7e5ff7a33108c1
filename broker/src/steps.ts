/** What a step decides: go on to the next step, accept the packet now, or refuse it (which ends its path). */
export type Verdict<Refusal extends object> = 'continue' | 'accept' | Refusal;

/**
 * One step of a packet's path, with one job: given the packet's context (which it may add to) and the
 * broker parts it needs, its verdict. Asynchronous only when it waits for something (a store, a login).
 */
export type Step<Context, Parts, Refusal extends object> = (context: Context, parts: Parts) => Verdict<Refusal> | Promise<Verdict<Refusal>>;

/**
 * Runs the steps in order until one accepts or refuses; a packet that passes them all is accepted. A step
 * that answers at once is followed in the same tick, as aedes' own `runSeries` does: a path with nothing
 * to wait for completes synchronously, and a check sees the state that the step after it acts on.
 * `failed` gets a step's unexpected rejection (a step turns the failures it expects into refusals).
 */
export function runSteps<Context, Parts, Refusal extends object>(
  steps: readonly Step<Context, Parts, Refusal>[],
  context: Context,
  parts: Parts,
  done: (outcome: 'accept' | Refusal) => void,
  failed: (error: unknown) => void,
): void {
  let next = 0;
  const resume = (verdict: Verdict<Refusal>): void => {
    while (verdict === 'continue') {
      const step = steps[next++];
      if (step === undefined) {
        done('accept');
        return;
      }
      const answer = step(context, parts);
      if (answer instanceof Promise) {
        answer.then(resume, failed);
        return;
      }
      verdict = answer;
    }
    done(verdict);
  };
  resume('continue');
}
