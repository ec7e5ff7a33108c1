import { ParcoursError } from '@parcours/contracts';
import { PartStartError } from './lifecycle/parts.js';

/**
 * What a failed command prints: one line for a failure Parcours explains (a usage mistake, a bad setting,
 * a taken port, another node) — the part that did not start named first — and the stack of anything
 * unexpected, which is a bug to report.
 */
export function failureLine(error: unknown): string {
  const explained = error instanceof PartStartError && error.cause instanceof ParcoursError ? error.cause : error;
  if (explained instanceof ParcoursError) {
    const part = error instanceof PartStartError ? `${error.partName}: ` : '';
    return `parcours: ${part}${explained.message} (${explained.code})`;
  }
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
