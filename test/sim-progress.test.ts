import { describe, expect, it } from 'vitest';
import { bar, startProgress } from '../src/commands/progress.js';
import { waitUntil } from './mqtt-clients.js';

/** A stream that records what is written; `isTTY` decides between the redrawn line and plain lines. */
function stream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const fake = {
    isTTY,
    text: '',
    write: (chunk: string) => {
      fake.text += chunk;
      return true;
    },
  };
  return fake as unknown as NodeJS.WriteStream & { text: string };
}

describe('progress display', () => {
  it('redraws one line in place on a terminal and ends it when stopped', async () => {
    const out = stream(true);
    let n = 0;
    const progress = startProgress({ stream: out, everyMs: 60_000, render: () => `step ${++n}` });
    await waitUntil(() => n >= 2);
    progress.stop();
    expect(out.text.startsWith('\rstep 1\x1b[K\rstep 2')).toBe(true);
    expect(out.text.endsWith(`\rstep ${n}\x1b[K\n`)).toBe(true);
    expect(out.text.split('\n')).toHaveLength(2);
  });

  it('writes plain lines at its interval elsewhere, nothing before there is something to show', async () => {
    const out = stream(false);
    let n = 0;
    const progress = startProgress({ stream: out, everyMs: 100, render: () => (++n < 3 ? null : `step ${n}`) });
    await waitUntil(() => out.text.split('\n').length > 2);
    progress.stop();
    expect(out.text).not.toContain('\r');
    expect(out.text.split('\n').slice(0, 2)).toEqual(['step 3', 'step 4']);
  });

  it('draws a bar clamped to [0, 1]', () => {
    expect(bar(0.5, 10)).toBe('[#####.....]  50%');
    expect(bar(2, 4)).toBe('[####] 100%');
    expect(bar(-1, 4)).toBe('[....]   0%');
  });
});
