import type { Attribution } from './log-record.js';

/**
 * The collectives a record or result was attributed to at `t` (docs/design.md, "Subjects"): the collective
 * owning its device, and those its person — the reported actor, or else the individual owning the device —
 * belonged to at `t`. Sorted, each once.
 */
export function attributedCollectives(
  attribution: Pick<Attribution, 'subjectId' | 'subjectKind' | 'actor'>,
  t: number,
  collectivesAt: (individualId: string, t: number) => readonly string[],
): string[] {
  const { subjectId, subjectKind, actor } = attribution;
  const person = actor ?? (subjectKind === 'individual' ? subjectId : null);
  const found = new Set(person === null ? [] : collectivesAt(person, t));
  if (subjectKind === 'collective' && subjectId !== null) found.add(subjectId);
  return [...found].sort();
}
