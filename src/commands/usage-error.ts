import { errorCodes, ParcoursError, type ErrorCode } from '@parcours/contracts';

/**
 * A mistake on the command line that the user corrects (a missing option, a malformed date, a file that
 * cannot be read): the CLI prints its one line and code, never a stack.
 */
export class UsageError extends ParcoursError {
  constructor(message: string, code: ErrorCode = errorCodes.usage, options?: { cause?: unknown }) {
    super(code, message, false, options);
    this.name = 'UsageError';
  }
}
