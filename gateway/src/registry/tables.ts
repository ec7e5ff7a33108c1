import type { Assignment, Device, Membership, RegistryChange, Subject } from '@parcours/contracts';

type Row = Record<string, string | number | null>;

/** How each kind of registry record maps to its table's columns (snake_case there, camelCase in code). */
interface Table<T> {
  name: string;
  toRow(record: T): Row;
  fromRow(row: Row): T;
}

const interval = (r: Row) => ({ validFrom: r.valid_from as number, validTo: r.valid_to as number | null });

export const tables = {
  subject: {
    name: 'subjects',
    toRow: (s: Subject) => ({ id: s.id, kind: s.kind, type: s.type, name: s.name, attributes: JSON.stringify(s.attributes) }),
    fromRow: (r: Row): Subject => ({
      id: r.id as string,
      kind: r.kind as Subject['kind'],
      type: r.type as string,
      name: r.name as string,
      attributes: JSON.parse(r.attributes as string),
    }),
  } satisfies Table<Subject>,
  membership: {
    name: 'memberships',
    toRow: (m: Membership) => ({
      id: m.id,
      individual_id: m.individualId,
      collective_id: m.collectiveId,
      role: m.role,
      valid_from: m.validFrom,
      valid_to: m.validTo,
      inclusion_probability: m.draw?.inclusionProbability ?? null,
      stratum: m.draw?.stratum ?? null,
      rotation_group: m.draw?.rotationGroup ?? null,
    }),
    fromRow: (r: Row): Membership => ({
      id: r.id as string,
      individualId: r.individual_id as string,
      collectiveId: r.collective_id as string,
      role: r.role as string | null,
      ...interval(r),
      // Absent, not undefined, on other memberships: a re-create compares records deeply.
      ...(r.inclusion_probability === null
        ? {}
        : {
            draw: { inclusionProbability: r.inclusion_probability as number, stratum: r.stratum as string | null, rotationGroup: r.rotation_group as number },
          }),
    }),
  } satisfies Table<Membership>,
  device: {
    name: 'devices',
    toRow: (d: Device) => ({ id: d.id, type: d.type, model: d.model, name: d.name }),
    fromRow: (r: Row): Device => ({ id: r.id as string, type: r.type as string, model: r.model as string | null, name: r.name as string | null }),
  } satisfies Table<Device>,
  assignment: {
    name: 'assignments',
    toRow: (a: Assignment) => ({ id: a.id, device_id: a.deviceId, subject_id: a.subjectId, valid_from: a.validFrom, valid_to: a.validTo }),
    fromRow: (r: Row): Assignment => ({ id: r.id as string, deviceId: r.device_id as string, subjectId: r.subject_id as string, ...interval(r) }),
  } satisfies Table<Assignment>,
} as const;

export type Entity = RegistryChange['entity'];
export type RecordOf<E extends Entity> = ReturnType<(typeof tables)[E]['fromRow']>;
