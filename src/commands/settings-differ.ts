import { errorCodes, ParcoursError } from '@parcours/contracts';

/** A batch command's refusal to derive with settings other than those the server derived with. */
export function settingsDiffer(differing: readonly string[], alternative?: string): ParcoursError {
  return new ParcoursError(
    errorCodes.settingsDiffer,
    `these settings differ from those the server derived with: ${differing.join(', ')} (PARCOURS_ANALYTICS_*). Run with the server's configuration${alternative ? `, or ${alternative}` : ''}`,
  );
}
