import type { Assignment, Attribution, Device, Membership, Subject } from '@parcours/contracts';
import { contains } from './intervals.js';

export interface RegistrySnapshot {
  subjects: Subject[];
  memberships: Membership[];
  devices: Device[];
  assignments: Assignment[];
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(key(item));
    if (list) list.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

/**
 * An immutable in-memory view of the registry, so that attributing a message costs no database round
 * trip. It is rebuilt whole when the registry changes; lookups scan a device's few assignments.
 */
export class AttributionIndex {
  private readonly devices: Map<string, Device>;
  private readonly subjects: Map<string, Subject>;
  private readonly assignmentsByDevice: Map<string, Assignment[]>;
  private readonly assignmentsBySubject: Map<string, Assignment[]>;
  private readonly membershipsByCollective: Map<string, Membership[]>;
  private readonly membershipsByIndividual: Map<string, Membership[]>;

  constructor(snapshot: RegistrySnapshot) {
    this.devices = new Map(snapshot.devices.map((device) => [device.id, device]));
    this.subjects = new Map(snapshot.subjects.map((subject) => [subject.id, subject]));
    this.assignmentsByDevice = groupBy(snapshot.assignments, (a) => a.deviceId);
    this.assignmentsBySubject = groupBy(snapshot.assignments, (a) => a.subjectId);
    this.membershipsByCollective = groupBy(snapshot.memberships, (m) => m.collectiveId);
    this.membershipsByIndividual = groupBy(snapshot.memberships, (m) => m.individualId);
  }

  hasDevice(deviceId: string): boolean {
    return this.devices.has(deviceId);
  }

  subjectAt(deviceId: string, t: number): Subject | null {
    const assignment = this.assignmentsByDevice.get(deviceId)?.find((a) => contains(a, t));
    return assignment ? (this.subjects.get(assignment.subjectId) ?? null) : null;
  }

  membersAt(collectiveId: string, t: number): string[] {
    return (this.membershipsByCollective.get(collectiveId) ?? []).filter((m) => contains(m, t)).map((m) => m.individualId);
  }

  collectivesAt(individualId: string, t: number): string[] {
    return (this.membershipsByIndividual.get(individualId) ?? []).filter((m) => contains(m, t)).map((m) => m.collectiveId);
  }

  deviceTypesOwnedAt(subjectId: string, t: number): string[] {
    const owned = (this.assignmentsBySubject.get(subjectId) ?? []).filter((a) => contains(a, t));
    return owned.flatMap((a) => this.devices.get(a.deviceId)?.type ?? []);
  }

  isMember(individualId: string, collectiveId: string, t: number): boolean {
    return (this.membershipsByCollective.get(collectiveId) ?? []).some((m) => m.individualId === individualId && contains(m, t));
  }

  /** Null when the device is not registered. */
  attribute(deviceId: string, t: number, actorHint?: string): Attribution | null {
    const device = this.devices.get(deviceId);
    if (!device) return null;
    const subject = this.subjectAt(deviceId, t);
    const actor = actorHint !== undefined && subject !== null && this.actorHolds(actorHint, subject, t) ? actorHint : null;
    return {
      deviceType: device.type,
      subjectId: subject?.id ?? null,
      subjectKind: subject?.kind ?? null,
      subjectType: subject?.type ?? null,
      actor,
      actorRejected: actorHint !== undefined && actor === null,
    };
  }

  /** A personal device's actor must be its owner; a shared device's must be a member of the collective at t. */
  private actorHolds(actor: string, subject: Subject, t: number): boolean {
    return subject.kind === 'individual' ? actor === subject.id : this.isMember(actor, subject.id, t);
  }
}
