import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  errorCodes,
  ParcoursError,
  type Assignment,
  type Device,
  type Membership,
  type Subject,
  type SubjectKind,
} from '@parcours/contracts';
import type { Database } from '../store/database.js';
import { isValidInterval, overlaps, type Interval } from './intervals.js';
import { issueSecret, verifySecret } from './secrets.js';

/** The result of a create: `created` is false when an identical record with that id already existed. */
export interface Created<T> {
  record: T;
  created: boolean;
}

export interface Page {
  limit: number;
  offset: number;
}

interface SubjectRow { id: string; kind: SubjectKind; type: string; name: string; attributes: string }
interface IntervalRow { valid_from: number; valid_to: number | null }
interface MembershipRow extends IntervalRow { id: string; individual_id: string; collective_id: string; role: string | null }
interface DeviceRow { id: string; type: string; model: string | null; name: string | null }
interface AssignmentRow extends IntervalRow { id: string; device_id: string; subject_id: string }

const toSubject = (r: SubjectRow): Subject => ({ id: r.id, kind: r.kind, type: r.type, name: r.name, attributes: JSON.parse(r.attributes) });
const toInterval = (r: IntervalRow): Interval => ({ validFrom: r.valid_from, validTo: r.valid_to });
const toMembership = (r: MembershipRow): Membership => ({ id: r.id, individualId: r.individual_id, collectiveId: r.collective_id, role: r.role, ...toInterval(r) });
const toDevice = (r: DeviceRow): Device => ({ id: r.id, type: r.type, model: r.model, name: r.name });
const toAssignment = (r: AssignmentRow): Assignment => ({ id: r.id, deviceId: r.device_id, subjectId: r.subject_id, ...toInterval(r) });

/**
 * Durable registry of subjects, memberships, devices and assignments. Writes are validated here (kinds,
 * intervals, contradicting overlaps) so that every caller, HTTP or CLI, gets the same rules.
 */
export class RegistryStore {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly db: Database) {}

  /** Called after every committed change, e.g. to refresh the in-memory attribution index. */
  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  getSubject(id: string): Subject | null {
    const row = this.db.prepare<[string], SubjectRow>('SELECT * FROM subjects WHERE id = ?').get(id);
    return row ? toSubject(row) : null;
  }

  listSubjects(filter: { kind?: SubjectKind; type?: string } & Page): Subject[] {
    return this.db
      .prepare<[object], SubjectRow>(
        `SELECT * FROM subjects WHERE (@kind IS NULL OR kind = @kind) AND (@type IS NULL OR type = @type) ORDER BY id LIMIT @limit OFFSET @offset`,
      )
      .all({ kind: filter.kind ?? null, type: filter.type ?? null, limit: filter.limit, offset: filter.offset })
      .map(toSubject);
  }

  createSubject(input: Omit<Subject, 'id'> & { id?: string | undefined }): Created<Subject> {
    const subject: Subject = { ...input, id: input.id ?? randomUUID() };
    const existing = this.getSubject(subject.id);
    if (existing) return this.existing(existing, subject, 'subject');
    const now = Date.now();
    this.db
      .prepare('INSERT INTO subjects (id, kind, type, name, attributes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(subject.id, subject.kind, subject.type, subject.name, JSON.stringify(subject.attributes), now, now);
    return this.changed({ record: subject, created: true });
  }

  listMemberships(filter: { individualId?: string; collectiveId?: string } & Page): Membership[] {
    return this.db
      .prepare<[object], MembershipRow>(
        `SELECT * FROM memberships WHERE (@individual IS NULL OR individual_id = @individual) AND (@collective IS NULL OR collective_id = @collective)
         ORDER BY valid_from, id LIMIT @limit OFFSET @offset`,
      )
      .all({ individual: filter.individualId ?? null, collective: filter.collectiveId ?? null, limit: filter.limit, offset: filter.offset })
      .map(toMembership);
  }

  createMembership(input: Omit<Membership, 'id'> & { id?: string | undefined }): Created<Membership> {
    const membership: Membership = { ...input, id: input.id ?? randomUUID() };
    const existingRow = this.db.prepare<[string], MembershipRow>('SELECT * FROM memberships WHERE id = ?').get(membership.id);
    if (existingRow) return this.existing(toMembership(existingRow), membership, 'membership');
    this.requireKind(membership.individualId, 'individual');
    this.requireKind(membership.collectiveId, 'collective');
    this.requireInterval(membership);
    const samePair = this.listMemberships({ individualId: membership.individualId, collectiveId: membership.collectiveId, limit: -1, offset: 0 });
    const clash = samePair.find((other) => overlaps(other, membership));
    if (clash) {
      throw new ParcoursError(errorCodes.overlap, `${membership.individualId} is already a member of ${membership.collectiveId} over that interval (membership ${clash.id})`);
    }
    this.db
      .prepare('INSERT INTO memberships (id, individual_id, collective_id, role, valid_from, valid_to, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(membership.id, membership.individualId, membership.collectiveId, membership.role, membership.validFrom, membership.validTo, Date.now());
    return this.changed({ record: membership, created: true });
  }

  getDevice(id: string): Device | null {
    const row = this.db.prepare<[string], DeviceRow>('SELECT id, type, model, name FROM devices WHERE id = ?').get(id);
    return row ? toDevice(row) : null;
  }

  listDevices(filter: { type?: string } & Page): Device[] {
    return this.db
      .prepare<[object], DeviceRow>(
        'SELECT id, type, model, name FROM devices WHERE (@type IS NULL OR type = @type) ORDER BY id LIMIT @limit OFFSET @offset',
      )
      .all({ type: filter.type ?? null, limit: filter.limit, offset: filter.offset })
      .map(toDevice);
  }

  createDevice(device: Device): Created<Device> {
    const existing = this.getDevice(device.id);
    if (existing) return this.existing(existing, device, 'device');
    const now = Date.now();
    this.db
      .prepare('INSERT INTO devices (id, type, model, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(device.id, device.type, device.model, device.name, now, now);
    return this.changed({ record: device, created: true });
  }

  /** Issues a new MQTT secret for the device; the previous one stops working. Only its scrypt hash is kept. */
  async issueCredentials(deviceId: string): Promise<{ deviceId: string; username: string; secret: string }> {
    this.requireDevice(deviceId);
    const { secret, hash } = await issueSecret();
    this.db.prepare('UPDATE devices SET secret_hash = ?, updated_at = ? WHERE id = ?').run(hash, Date.now(), deviceId);
    return { deviceId, username: deviceId, secret };
  }

  async verifyCredentials(deviceId: string, secret: string): Promise<boolean> {
    const row = this.db.prepare<[string], { secret_hash: string | null }>('SELECT secret_hash FROM devices WHERE id = ?').get(deviceId);
    return row?.secret_hash ? verifySecret(secret, row.secret_hash) : false;
  }

  listAssignments(filter: { deviceId?: string; subjectId?: string } & Page): Assignment[] {
    return this.db
      .prepare<[object], AssignmentRow>(
        `SELECT * FROM assignments WHERE (@device IS NULL OR device_id = @device) AND (@subject IS NULL OR subject_id = @subject)
         ORDER BY valid_from, id LIMIT @limit OFFSET @offset`,
      )
      .all({ device: filter.deviceId ?? null, subject: filter.subjectId ?? null, limit: filter.limit, offset: filter.offset })
      .map(toAssignment);
  }

  /** A device is with one subject at a time: an assignment overlapping another of the same device is refused. */
  createAssignment(input: Omit<Assignment, 'id'> & { id?: string | undefined }): Created<Assignment> {
    const assignment: Assignment = { ...input, id: input.id ?? randomUUID() };
    const existingRow = this.db.prepare<[string], AssignmentRow>('SELECT * FROM assignments WHERE id = ?').get(assignment.id);
    if (existingRow) return this.existing(toAssignment(existingRow), assignment, 'assignment');
    this.requireDevice(assignment.deviceId);
    if (!this.getSubject(assignment.subjectId)) throw new ParcoursError(errorCodes.notFound, `subject ${assignment.subjectId} does not exist`);
    this.requireInterval(assignment);
    const clash = this.listAssignments({ deviceId: assignment.deviceId, limit: -1, offset: 0 }).find((other) => overlaps(other, assignment));
    if (clash) {
      throw new ParcoursError(errorCodes.overlap, `device ${assignment.deviceId} is already assigned to ${clash.subjectId} over that interval (assignment ${clash.id})`);
    }
    this.db
      .prepare('INSERT INTO assignments (id, device_id, subject_id, valid_from, valid_to, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(assignment.id, assignment.deviceId, assignment.subjectId, assignment.validFrom, assignment.validTo, Date.now());
    return this.changed({ record: assignment, created: true });
  }

  /** Everything, for building the in-memory attribution index. */
  snapshot(): { subjects: Subject[]; memberships: Membership[]; devices: Device[]; assignments: Assignment[] } {
    const all = { limit: -1, offset: 0 };
    return {
      subjects: this.listSubjects(all),
      memberships: this.listMemberships(all),
      devices: this.listDevices(all),
      assignments: this.listAssignments(all),
    };
  }

  private existing<T extends object>(stored: T, requested: T, what: string): Created<T> {
    if (isDeepStrictEqual(stored, requested)) return { record: stored, created: false };
    throw new ParcoursError(errorCodes.conflict, `a different ${what} with this id already exists`);
  }

  private changed<T>(result: Created<T>): Created<T> {
    for (const listener of this.listeners) listener();
    return result;
  }

  private requireDevice(id: string): void {
    if (!this.getDevice(id)) throw new ParcoursError(errorCodes.notFound, `device ${id} does not exist`);
  }

  private requireKind(id: string, kind: SubjectKind): void {
    const subject = this.getSubject(id);
    if (!subject) throw new ParcoursError(errorCodes.notFound, `subject ${id} does not exist`);
    if (subject.kind !== kind) {
      throw new ParcoursError(kind === 'individual' ? errorCodes.notIndividual : errorCodes.notCollective, `subject ${id} is not ${kind === 'individual' ? 'an individual' : 'a collective'}`);
    }
  }

  private requireInterval(interval: Interval): void {
    if (!isValidInterval(interval)) throw new ParcoursError(errorCodes.badInterval, 'validTo must be after validFrom');
  }
}
