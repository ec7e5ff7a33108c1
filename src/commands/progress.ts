/**
 * Progress of a long command on stderr: on a terminal one line redrawn in place (`\r`) a few times a
 * second; otherwise (a log file, CI, a pipe) a plain line every `everyMs`, which stays readable there.
 */
export interface ProgressDisplay {
  /** Draws the last state once more and ends the line. */
  stop(): void;
}

export function startProgress(options: { stream: NodeJS.WriteStream; everyMs: number; render: () => string | null }): ProgressDisplay {
  const { stream, everyMs, render } = options;
  const tty = stream.isTTY === true;
  let drawn = false;
  const draw = () => {
    const line = render();
    if (line === null) return;
    // \x1b[K clears what a longer previous line left behind.
    stream.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
    drawn = true;
  };
  const timer = setInterval(draw, tty ? 250 : everyMs);
  return {
    stop() {
      clearInterval(timer);
      if (tty) {
        draw();
        if (drawn) stream.write('\n');
      }
    },
  };
}

/** `[#######.............]  35%` */
export function bar(fraction: number, width = 20): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  const full = Math.round(clamped * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.floor(clamped * 100)).padStart(3)}%`;
}
