import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  errorCodes,
  ParcoursError,
  type Assignment,
  type AssignmentPatch,
  type Device,
  type DevicePatch,
  type Membership,
  type MembershipPatch,
  type RegistryChange,
  type RevokedCredentials,
  type Subject,
  type SubjectKind,
  type SubjectPatch,
} from '@parcours/contracts';
import { type Database, statementCache } from '../store/database.js';
import { isValidInterval, overlaps, type Interval } from './intervals.js';
import { RegistryJournal } from './journal.js';
import { issueSecret, verifySecret } from './secrets.js';
import { tables, type Entity, type RecordOf } from './tables.js';

/** The result of a create: `created` is false when an identical record with that id already existed. */
export interface Created<T> {
  record: T;
  created: boolean;
}

export interface Page {
  limit: number;
  offset: number;
}

type WithOptionalId<T> = Omit<T, 'id'> & { id?: string | undefined };

/**
 * Durable registry of subjects, memberships, devices and assignments. Writes are validated here (kinds,
 * intervals, contradicting overlaps) so that every caller, HTTP or CLI, gets the same rules, and each is
 * journaled with its time in the same transaction.
 */
export class RegistryStore {
  private readonly listeners = new Set<() => void>();
  private readonly journal: RegistryJournal;
  /** Inside `batch`: listeners are told once, at the end. */
  private batching = false;
  /** Statements compiled once: a batch writes thousands of records, each checked with a few small queries. */
  private readonly prepare: Database['prepare'];

  /** `onRevoked` is told when credentials stop being valid (a secret replaced, a device deleted), so that their sessions end. */
  constructor(
    private readonly db: Database,
    private readonly onRevoked: (revoked: RevokedCredentials) => void = () => undefined,
  ) {
    this.prepare = statementCache(db);
    this.journal = new RegistryJournal(db);
  }

  /** Called after every committed change, e.g. to refresh the in-memory attribution index. */
  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  changes(filter: Parameters<RegistryJournal['list']>[0]): RegistryChange[] {
    return this.journal.list(filter);
  }

  // Subjects

  getSubject(id: string): Subject | null {
    return this.get('subject', id);
  }

  listSubjects(filter: { kind?: SubjectKind | undefined; type?: string | undefined } & Page): Subject[] {
    return this.list('subject', { kind: filter.kind, type: filter.type }, 'id', filter);
  }

  /** Every individual (of the type, or all) with its record's attributes, in id order: a universe's read of 300,000 people, without whole records. */
  individualAttributes(type: string | null): { id: string; attributes: Subject['attributes'] }[] {
    const ofType = type === null ? '' : ' AND type = ?';
    return this.prepare<string[], [id: string, attributes: string]>(`SELECT id, attributes FROM subjects WHERE kind = 'individual'${ofType} ORDER BY id`)
      .raw()
      .all(...(type === null ? [] : [type]))
      .map(([id, attributes]) => ({ id, attributes: JSON.parse(attributes) }));
  }

  createSubject(input: WithOptionalId<Subject>): Created<Subject> {
    return this.create('subject', { ...input, id: input.id ?? randomUUID() }, () => undefined);
  }

  updateSubject(id: string, patch: SubjectPatch): Subject {
    return this.update('subject', id, patch, () => undefined);
  }

  /**
   * A subject still named by a membership or an assignment cannot go: the history would lose its owner.
   * What is known of the person alone goes with them: consents, external ids, profile attributes.
   */
  deleteSubject(id: string): void {
    this.remove('subject', id, () => {
      const used = this.count('memberships', 'individual_id = @id OR collective_id = @id', id) + this.count('assignments', 'subject_id = @id', id);
      if (used > 0) throw new ParcoursError(errorCodes.conflict, `subject ${id} has memberships or assignments; delete those first`);
      for (const [table, column] of [
        ['consents', 'individual_id'],
        ['identities', 'individual_id'],
        ['attribute_values', 'subject_id'],
      ])
        this.prepare(`DELETE FROM ${table} WHERE ${column} = ?`).run(id);
    });
  }

  // Memberships

  getMembership(id: string): Membership | null {
    return this.get('membership', id);
  }

  listMemberships(filter: { individualId?: string | undefined; collectiveId?: string | undefined } & Page): Membership[] {
    // A person belongs to a few collectives, a panel holds thousands: by the person's index when both are named.
    const index = filter.individualId === undefined ? null : 'memberships_individual';
    return this.list('membership', { individual_id: filter.individualId, collective_id: filter.collectiveId }, 'valid_from, id', filter, index);
  }

  createMembership(input: WithOptionalId<Membership>): Created<Membership> {
    return this.create('membership', { ...input, id: input.id ?? randomUUID() }, (m) => this.checkMembership(m));
  }

  /**
   * Creates a collective that does not exist yet with its members, in one transaction. The rules of
   * `createSubject` and `createMembership` hold: individuals that exist, valid intervals, no overlap of the
   * same pair, ids not taken, every record journaled. They are checked once for all the members: a
   * collective that did not exist has no memberships to clash with but those given here.
   */
  createCollectiveWithMembers(
    collective: WithOptionalId<Subject>,
    members: readonly WithOptionalId<Omit<Membership, 'collectiveId'>>[],
  ): { collective: Subject; memberships: Membership[] } {
    const subject: Subject = { ...collective, id: collective.id ?? randomUUID() };
    if (subject.kind !== 'collective') throw new ParcoursError(errorCodes.notCollective, `subject ${subject.id} is not a collective`);
    if (this.get('subject', subject.id)) throw new ParcoursError(errorCodes.conflict, `a subject with id ${subject.id} already exists`);
    const memberships: Membership[] = members.map((m) => ({ ...m, id: m.id ?? randomUUID(), collectiveId: subject.id }));
    this.write(() => {
      this.checkNewMemberships(memberships);
      this.insert('subject', subject);
      for (const m of memberships) this.insert('membership', m);
    });
    return { collective: subject, memberships };
  }

  updateMembership(id: string, patch: MembershipPatch): Membership {
    return this.update('membership', id, patch, (m) => this.checkMembership(m));
  }

  deleteMembership(id: string): void {
    this.remove('membership', id, () => undefined);
  }

  // Devices

  getDevice(id: string): Device | null {
    return this.get('device', id);
  }

  listDevices(filter: { type?: string | undefined } & Page): Device[] {
    return this.list('device', { type: filter.type }, 'id', filter);
  }

  createDevice(device: Device): Created<Device> {
    return this.create('device', device, () => undefined);
  }

  updateDevice(id: string, patch: DevicePatch): Device {
    return this.update('device', id, patch, () => undefined);
  }

  deleteDevice(id: string): void {
    this.remove('device', id, () => {
      if (this.count('assignments', 'device_id = @id', id) > 0)
        throw new ParcoursError(errorCodes.conflict, `device ${id} has assignments; delete those first`);
    });
    this.onRevoked({ kind: 'device', deviceId: id });
  }

  /** Issues a new MQTT secret for the device; the previous one stops working. Only its salted hash is kept. */
  async issueCredentials(deviceId: string): Promise<{ deviceId: string; username: string; secret: string }> {
    this.require('device', deviceId);
    const { secret, hash } = issueSecret();
    const previous = this.prepare<[string], { secret_hash: string | null }>('SELECT secret_hash FROM devices WHERE id = ?').get(deviceId)?.secret_hash;
    this.prepare('UPDATE devices SET secret_hash = ? WHERE id = ?').run(hash, deviceId);
    if (previous) this.onRevoked({ kind: 'deviceSecret', deviceId });
    return { deviceId, username: deviceId, secret };
  }

  async verifyCredentials(deviceId: string, secret: string): Promise<boolean> {
    const row = this.prepare<[string], { secret_hash: string | null }>('SELECT secret_hash FROM devices WHERE id = ?').get(deviceId);
    return row?.secret_hash ? verifySecret(secret, row.secret_hash) : false;
  }

  // Assignments

  getAssignment(id: string): Assignment | null {
    return this.get('assignment', id);
  }

  listAssignments(filter: { deviceId?: string | undefined; subjectId?: string | undefined } & Page): Assignment[] {
    return this.list('assignment', { device_id: filter.deviceId, subject_id: filter.subjectId }, 'valid_from, id', filter);
  }

  createAssignment(input: WithOptionalId<Assignment>): Created<Assignment> {
    return this.create('assignment', { ...input, id: input.id ?? randomUUID() }, (a) => this.checkAssignment(a));
  }

  updateAssignment(id: string, patch: AssignmentPatch): Assignment {
    return this.update('assignment', id, patch, (a) => this.checkAssignment(a));
  }

  deleteAssignment(id: string): void {
    this.remove('assignment', id, () => undefined);
  }

  countDevices(): number {
    return this.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM devices').get()!.n;
  }

  /** Everything, for building the in-memory attribution index. */
  snapshot(): { subjects: Subject[]; memberships: Membership[]; devices: Device[]; assignments: Assignment[] } {
    const all = { limit: -1, offset: 0 };
    return { subjects: this.listSubjects(all), memberships: this.listMemberships(all), devices: this.listDevices(all), assignments: this.listAssignments(all) };
  }

  // Rules

  private checkMembership(m: Membership): void {
    this.requireKind(m.individualId, 'individual');
    this.requireKind(m.collectiveId, 'collective');
    this.requireInterval(m);
    const clash = this.listMemberships({ individualId: m.individualId, collectiveId: m.collectiveId, limit: -1, offset: 0 }).find(
      (o) => o.id !== m.id && overlaps(o, m),
    );
    if (clash)
      throw new ParcoursError(errorCodes.overlap, `${m.individualId} is already a member of ${m.collectiveId} over that interval (membership ${clash.id})`);
  }

  /** `checkMembership` for the memberships of a new collective, in a few queries rather than a few per membership. */
  private checkNewMemberships(memberships: readonly Membership[]): void {
    const ids = new Set<string>();
    for (const { id } of memberships) {
      if (ids.has(id)) throw new ParcoursError(errorCodes.conflict, `membership id ${id} is given twice`);
      ids.add(id);
    }
    const taken = this.prepare<[string], { id: string }>('SELECT id FROM memberships WHERE id IN (SELECT value FROM json_each(?))').get(
      JSON.stringify([...ids]),
    );
    if (taken) throw new ParcoursError(errorCodes.conflict, `a different membership with id ${taken.id} already exists`);
    const kinds = new Map(
      this.prepare<[string], { id: string; kind: SubjectKind }>('SELECT id, kind FROM subjects WHERE id IN (SELECT value FROM json_each(?))')
        .all(JSON.stringify([...new Set(memberships.map((m) => m.individualId))]))
        .map((row) => [row.id, row.kind]),
    );
    const byIndividual = new Map<string, Membership[]>();
    for (const m of memberships) {
      const kind = kinds.get(m.individualId);
      if (kind === undefined) throw new ParcoursError(errorCodes.notFound, `subject ${m.individualId} does not exist`);
      if (kind !== 'individual') throw new ParcoursError(errorCodes.notIndividual, `subject ${m.individualId} is not an individual`);
      this.requireInterval(m);
      const earlier = byIndividual.get(m.individualId) ?? [];
      const clash = earlier.find((o) => overlaps(o, m));
      if (clash)
        throw new ParcoursError(errorCodes.overlap, `${m.individualId} is already a member of ${m.collectiveId} over that interval (membership ${clash.id})`);
      byIndividual.set(m.individualId, [...earlier, m]);
    }
  }

  /** A device is with one subject at a time: an assignment overlapping another of the same device is refused. */
  private checkAssignment(a: Assignment): void {
    this.require('device', a.deviceId);
    this.require('subject', a.subjectId);
    this.requireInterval(a);
    const clash = this.listAssignments({ deviceId: a.deviceId, limit: -1, offset: 0 }).find((o) => o.id !== a.id && overlaps(o, a));
    if (clash)
      throw new ParcoursError(errorCodes.overlap, `device ${a.deviceId} is already assigned to ${clash.subjectId} over that interval (assignment ${clash.id})`);
  }

  private requireKind(id: string, kind: SubjectKind): void {
    const subject = this.require('subject', id);
    if (subject.kind !== kind) {
      throw new ParcoursError(
        kind === 'individual' ? errorCodes.notIndividual : errorCodes.notCollective,
        `subject ${id} is not ${kind === 'individual' ? 'an individual' : 'a collective'}`,
      );
    }
  }

  private requireInterval(interval: Interval): void {
    if (!isValidInterval(interval)) throw new ParcoursError(errorCodes.badInterval, 'validTo must be after validFrom');
  }

  // Storage, shared by the four kinds of record

  private get<E extends Entity>(entity: E, id: string): RecordOf<E> | null {
    const table = tables[entity];
    const row = this.prepare<[string], Record<string, string | number | null>>(`SELECT * FROM ${table.name} WHERE id = ?`).get(id);
    return row ? (table.fromRow(row) as RecordOf<E>) : null;
  }

  private require<E extends Entity>(entity: E, id: string): RecordOf<E> {
    const record = this.get(entity, id);
    if (!record) throw new ParcoursError(errorCodes.notFound, `${entity} ${id} does not exist`);
    return record;
  }

  /** Records whose columns equal the filters given; a filter left undefined is no condition, so that SQLite can use the index of those given. */
  private list<E extends Entity>(
    entity: E,
    filters: Record<string, string | undefined>,
    orderBy: string,
    page: Page,
    index: string | null = null,
  ): RecordOf<E>[] {
    const table = tables[entity];
    const given = Object.entries(filters).filter(([, value]) => value !== undefined);
    const where = given.length === 0 ? '' : `WHERE ${given.map(([column]) => `${column} = @${column}`).join(' AND ')}`;
    const from = index === null ? table.name : `${table.name} INDEXED BY ${index}`;
    return this.prepare<[object], Record<string, string | number | null>>(`SELECT * FROM ${from} ${where} ORDER BY ${orderBy} LIMIT @limit OFFSET @offset`)
      .all({ ...Object.fromEntries(given), limit: page.limit, offset: page.offset })
      .map((row) => table.fromRow(row) as RecordOf<E>);
  }

  private count(tableName: string, where: string, id: string): number {
    return this.prepare<[object], { n: number }>(`SELECT COUNT(*) AS n FROM ${tableName} WHERE ${where}`).get({ id })!.n;
  }

  private create<E extends Entity>(entity: E, record: RecordOf<E>, check: (record: RecordOf<E>) => void): Created<RecordOf<E>> {
    const existing = this.get(entity, record.id);
    if (existing) {
      if (isDeepStrictEqual(existing, record)) return { record: existing, created: false };
      throw new ParcoursError(errorCodes.conflict, `a different ${entity} with id ${record.id} already exists`);
    }
    this.write(() => {
      check(record);
      this.insert(entity, record);
    });
    return { record, created: true };
  }

  /** Writes a checked record and journals its creation, inside the caller's transaction. */
  private insert<E extends Entity>(entity: E, record: RecordOf<E>): void {
    const row = (tables[entity].toRow as (r: RecordOf<E>) => Record<string, unknown>)(record);
    const columns = Object.keys(row);
    this.prepare(`INSERT INTO ${tables[entity].name} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`).run(row);
    this.journal.record(entity, record.id, 'create', null, record);
  }

  private update<E extends Entity>(entity: E, id: string, patch: object, check: (record: RecordOf<E>) => void): RecordOf<E> {
    const before = this.require(entity, id);
    const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    const after = { ...before, ...defined } as RecordOf<E>;
    if (isDeepStrictEqual(before, after)) return before;
    this.write(() => {
      check(after);
      const row = (tables[entity].toRow as (r: RecordOf<E>) => Record<string, unknown>)(after);
      const columns = Object.keys(row).filter((c) => c !== 'id');
      this.prepare(`UPDATE ${tables[entity].name} SET ${columns.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`).run(row);
      this.journal.record(entity, id, 'update', before, after);
    });
    return after;
  }

  private remove(entity: Entity, id: string, check: () => void): void {
    const before = this.require(entity, id);
    this.write(() => {
      check();
      this.prepare(`DELETE FROM ${tables[entity].name} WHERE id = ?`).run(id);
      this.journal.record(entity, id, 'delete', before, null);
    });
  }

  /** Runs several changes in one transaction: all of them or none (an exception rolls back). */
  batch<T>(changes: () => T): T {
    this.batching = true;
    try {
      return this.db.transaction(changes)();
    } finally {
      this.batching = false;
      this.notify();
    }
  }

  private write(change: () => void): void {
    this.db.transaction(change)();
    if (!this.batching) this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
