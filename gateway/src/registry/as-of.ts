import type { Assignment, Device, Membership, Subject } from '@parcours/contracts';
import { contains } from './intervals.js';
import type { RegistrySnapshot } from './attribution-index.js';

/** A subject as the registry held it at one instant: its members or collectives, and its devices. */
export interface SubjectAsOf {
  at: number;
  subject: Subject;
  /** For a collective: its members at t. For an individual: the collectives it belonged to at t. */
  memberships: (Membership & { other: Subject })[];
  devices: (Device & { assignment: Assignment })[];
}

/** Reads the state at `t` from a registry snapshot: the intervals valid at t, never "now". */
export function subjectAsOf(snapshot: RegistrySnapshot, subjectId: string, t: number): SubjectAsOf | null {
  const subjects = new Map(snapshot.subjects.map((s) => [s.id, s]));
  const subject = subjects.get(subjectId);
  if (!subject) return null;
  const devices = new Map(snapshot.devices.map((d) => [d.id, d]));
  const isCollective = subject.kind === 'collective';
  const memberships = snapshot.memberships
    .filter((m) => (isCollective ? m.collectiveId : m.individualId) === subjectId && contains(m, t))
    .map((m) => ({ ...m, other: subjects.get(isCollective ? m.individualId : m.collectiveId)! }));
  const assigned = snapshot.assignments.filter((a) => a.subjectId === subjectId && contains(a, t)).map((a) => ({ ...devices.get(a.deviceId)!, assignment: a }));
  return { at: t, subject, memberships, devices: assigned };
}
