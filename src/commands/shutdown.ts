import type { Logger } from 'pino';

/**
 * Handles SIGINT/SIGTERM from the moment it is called, before what it stops has started: a signal
 * during start-up waits for `ready` to give the stop, so that Ctrl-C at any time stops cleanly; `stop`
 * runs once, and a second signal forces the exit.
 */
export function shutdownOnSignal(logger: Logger): { ready(stop: () => Promise<void>): void } {
  let stopping = false;
  let stop: (() => Promise<void>) | null = null;
  const run = () =>
    stop!().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'forced exit');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, stop ? 'stopping' : 'stopping once started');
    if (stop) void run();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    ready(given) {
      stop = given;
      if (stopping) void run();
    },
  };
}

/** Runs `stop` once on the first SIGINT/SIGTERM; a second signal forces the exit. */
export function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  shutdownOnSignal(logger).ready(stop);
}
