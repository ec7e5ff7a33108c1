import { describe, expect, it } from 'vitest';
import { runSteps, type Step } from '../src/steps.js';
import { deferred } from './recording-parts.js';

type Refusal = { refused: string };
type TestStep = Step<string[], null, Refusal>;

/** A step that records its name in the context, then answers `verdict`. */
const step =
  (name: string, verdict: ReturnType<TestStep> = 'continue'): TestStep =>
  (seen) => {
    seen.push(name);
    return verdict;
  };

function run(steps: TestStep[]): { seen: string[]; outcomes: ('accept' | Refusal)[]; errors: unknown[] } {
  const result = { seen: [] as string[], outcomes: [] as ('accept' | Refusal)[], errors: [] as unknown[] };
  runSteps(
    steps,
    result.seen,
    null,
    (outcome) => result.outcomes.push(outcome),
    (error) => result.errors.push(error),
  );
  return result;
}

describe('runSteps', () => {
  it('runs the steps in order and accepts once they all continue, in the same tick when none waits', () => {
    const { seen, outcomes } = run([step('a'), step('b'), step('c')]);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(outcomes).toEqual(['accept']);
  });

  it('stops at the first step that refuses or accepts', () => {
    const refused = run([step('a'), step('b', { refused: 'no' }), step('c')]);
    expect(refused.seen).toEqual(['a', 'b']);
    expect(refused.outcomes).toEqual([{ refused: 'no' }]);
    const accepted = run([step('a', 'accept'), step('b', { refused: 'no' })]);
    expect(accepted.seen).toEqual(['a']);
    expect(accepted.outcomes).toEqual(['accept']);
  });

  it('waits for a step that returns a promise, then goes on with the next', async () => {
    const store = deferred<'continue'>();
    const waiting: TestStep = (seen) => {
      seen.push('wait');
      return store.promise;
    };
    const result = run([step('a'), waiting, step('b')]);
    expect(result.seen).toEqual(['a', 'wait']);
    expect(result.outcomes).toEqual([]);
    store.resolve('continue');
    await expect.poll(() => result.outcomes).toEqual(['accept']);
    expect(result.seen).toEqual(['a', 'wait', 'b']);
  });

  it('reports a step that rejects instead of answering, and runs nothing after it', async () => {
    const broken: TestStep = () => Promise.reject(new Error('bug'));
    const result = run([broken, step('after')]);
    await expect.poll(() => result.errors).toHaveLength(1);
    expect(result.seen).toEqual([]);
    expect(result.outcomes).toEqual([]);
  });
});
