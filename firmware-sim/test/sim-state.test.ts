import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSimState, resumeFrom, writeSimState } from '../src/sim-state.js';

describe('simulator state', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parcours-sim-state-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('round-trips, and is absent before the first run', async () => {
    const path = join(dir, 'sim', 'state.json');
    expect(await readSimState(path)).toBeNull();
    await writeSimState(path, { reachedMs: 1234 });
    expect(await readSimState(path)).toEqual({ reachedMs: 1234 });
  });

  it('refuses a corrupt file rather than silently restarting', async () => {
    const path = join(dir, 'state.json');
    await writeFile(path, '{"reachedMs":');
    await expect(readSimState(path)).rejects.toThrow(/not JSON/);
    await writeFile(path, '{"reachedMs":"soon"}');
    await expect(readSimState(path)).rejects.toThrow(/not a simulator state/);
  });

  it('resumes from the explicit from, else the later of now − backfill and the saved state', () => {
    const base = { nowMs: 100_000, backfillMs: 10_000 };
    expect(resumeFrom({ ...base, fromMs: 5, state: { reachedMs: 95_000 } })).toBe(5);
    expect(resumeFrom({ ...base, state: null })).toBe(90_000);
    expect(resumeFrom({ ...base, state: { reachedMs: 95_000 } })).toBe(95_000);
    expect(resumeFrom({ ...base, state: { reachedMs: 50_000 } })).toBe(90_000);
  });

  it('never resumes after now, whatever the saved state says', () => {
    expect(resumeFrom({ nowMs: 100_000, backfillMs: 10_000, state: { reachedMs: 146_000 } })).toBe(100_000);
  });
});
