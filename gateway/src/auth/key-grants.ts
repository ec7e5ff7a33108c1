import { ParcoursInputError, type ApiRole } from '@parcours/contracts';

/**
 * The subjects a new key is granted, checked before it is made: an integrator is granted at least one,
 * each known to the registry (a mistyped id would grant nothing, silently); other roles read every
 * subject already, so subjects given to them are a mistake, not a restriction.
 */
export function checkGrants(role: ApiRole, subjects: readonly string[], subjectKnown: (id: string) => boolean): void {
  if (role !== 'integrator') {
    if (subjects.length > 0)
      throw new ParcoursInputError(`a ${role} key reads every subject: it is granted none`, [
        { path: 'subjects', message: `only an integrator key is granted subjects, not a ${role} key` },
      ]);
    return;
  }
  if (subjects.length === 0) throw new ParcoursInputError('an integrator key needs a subject', [{ path: 'subjects', message: 'grant at least one subject' }]);
  const unknown = subjects.filter((id) => !subjectKnown(id));
  if (unknown.length > 0)
    throw new ParcoursInputError(
      `the registry has no subject ${unknown.join(', ')}`,
      unknown.map((id) => ({ path: 'subjects', message: `unknown subject ${id}` })),
    );
}
