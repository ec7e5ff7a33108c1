import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';

/** What a run leaves for the next one (`<dataDir>/sim/state.json`): how far simulated time got. */
export const simStateSchema = z.object({
  reachedMs: z.number().int().nonnegative().describe('every message before this instant was published'),
});
export type SimState = z.infer<typeof simStateSchema>;

/** The saved state, or null when there is none; a corrupt file is an error rather than a silent restart. */
export async function readSimState(path: string): Promise<SimState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not JSON: ${(error as Error).message}`);
  }
  const parsed = simStateSchema.safeParse(data);
  if (!parsed.success) throw new Error(`${path} is not a simulator state: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Written to a temporary file and renamed, so a crash never leaves half a state. */
export async function writeSimState(path: string, state: SimState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.tmp`, `${JSON.stringify(state)}\n`);
  await rename(`${path}.tmp`, path);
}

/**
 * Where a run starts: the explicit `from`, else the later of (now − backfill) and where the previous
 * run stopped, so a restart neither re-sends hours already published nor leaves a gap shorter than the backfill;
 * never after now (a state saved ahead of the real clock is not trusted beyond it).
 */
export function resumeFrom(options: { fromMs?: number | undefined; nowMs: number; backfillMs: number; state: SimState | null }): number {
  if (options.fromMs !== undefined) return options.fromMs;
  const floor = options.nowMs - options.backfillMs;
  return options.state === null ? floor : Math.min(options.nowMs, Math.max(floor, options.state.reachedMs));
}
