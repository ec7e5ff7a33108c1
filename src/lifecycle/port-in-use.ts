import { errorCodes, ParcoursError } from '@parcours/contracts';

/** A listener's port, and the setting that chooses it, to name in the error when it is taken. */
export interface ListenerPort {
  what: string;
  port: number;
  setting: string;
  env: string;
}

function isAddressInUse(error: unknown): error is NodeJS.ErrnoException & { port?: number; address?: string } {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
}

/**
 * Turns Node's `EADDRINUSE` into one line that says which port of which listener is taken and which
 * setting moves it; other errors pass through unchanged.
 */
export function explainPortInUse(error: unknown, listeners: readonly ListenerPort[]): unknown {
  if (!isAddressInUse(error)) return error;
  const listener = listeners.find((l) => l.port === error.port);
  const where = error.address ? ` on ${error.address}` : '';
  const named = listener ? `port ${listener.port} (${listener.what})` : `port ${error.port ?? '?'}`;
  const setting = listener ? `, or choose another with ${listener.env} (${listener.setting})` : '';
  return new ParcoursError(errorCodes.portInUse, `${named} is already in use${where}: stop what listens there${setting}`, false, { cause: error });
}
