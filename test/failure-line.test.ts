import { errorCodes, ParcoursError } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/commands/usage-error.js';
import { failureLine } from '../src/failure-line.js';
import { PartStartError } from '../src/lifecycle/parts.js';

describe('what a failed command prints', () => {
  it('one line with its code for a mistake the user corrects, or a failure Parcours explains', () => {
    expect(failureLine(new UsageError('--from yesterday: not an ISO 8601 date-time'))).toBe(
      'parcours: --from yesterday: not an ISO 8601 date-time (PARCOURS_E_USAGE)',
    );
    expect(failureLine(new PartStartError('http', new ParcoursError(errorCodes.portInUse, 'port 8080 is taken')))).toBe(
      'parcours: http: port 8080 is taken (PARCOURS_E_PORT_IN_USE)',
    );
  });

  it('the stack of anything else: a bug to report', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    expect(failureLine(bug)).toBe(bug.stack);
    expect(failureLine(bug)).toMatch(/\n\s+at /);
  });
});
