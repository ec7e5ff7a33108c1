import {
  assignmentSchema,
  deviceCreateSchema,
  idSchema,
  membershipCreateSchema,
  ParcoursError,
  ParcoursInputError,
  subjectCreateSchema,
} from '@parcours/contracts';
import type { z } from 'zod';
import { formatIssues } from '../pipeline/validate.js';
import type { RegistryStore } from './registry-store.js';

export const importKinds = ['subjects', 'devices', 'memberships', 'assignments'] as const;
export type ImportKind = (typeof importKinds)[number];

/** One record to import, with where it came from (`subjects[3]`, `memberships.csv line 4`) for the report. */
export interface ImportRow {
  kind: ImportKind;
  where: string;
  value: unknown;
}

export type ImportCounts = Record<ImportKind, number>;

const schemas = {
  subjects: subjectCreateSchema,
  devices: deviceCreateSchema,
  memberships: membershipCreateSchema,
  assignments: assignmentSchema.extend({ id: idSchema.optional() }),
} satisfies Record<ImportKind, z.ZodType>;

const zero = (): ImportCounts => ({ subjects: 0, devices: 0, memberships: 0, assignments: 0 });

/**
 * Imports a CRM export all-or-nothing: every row is validated, then written in one transaction in
 * dependency order (subjects and devices before memberships and assignments). Any problem, of shape or of
 * registry rules (overlaps, unknown ids), rolls everything back and is reported with its row.
 */
export function importRecords(registry: RegistryStore, rows: readonly ImportRow[]): { created: ImportCounts; unchanged: ImportCounts } {
  const problems: { path: string; message: string }[] = [];
  const parsed = rows.map((row) => {
    const result = schemas[row.kind].safeParse(row.value);
    if (!result.success) problems.push({ path: row.where, message: formatIssues(result.error) });
    return { ...row, value: result.data };
  });
  if (problems.length > 0) throw new ParcoursInputError(`${problems.length} of ${rows.length} rows are not valid; nothing was imported`, problems);

  const created = zero();
  const unchanged = zero();
  registry.batch(() => {
    for (const kind of importKinds) {
      for (const row of parsed.filter((r) => r.kind === kind)) {
        try {
          const result = create(registry, kind, row.value);
          (result ? created : unchanged)[kind] += 1;
        } catch (error) {
          if (!(error instanceof ParcoursError)) throw error;
          problems.push({ path: row.where, message: `${error.code}: ${error.message}` });
        }
      }
    }
    if (problems.length > 0)
      throw new ParcoursInputError(`${problems.length} of ${rows.length} rows break the registry's rules; nothing was imported`, problems);
  });
  return { created, unchanged };
}

function create(registry: RegistryStore, kind: ImportKind, value: unknown): boolean {
  switch (kind) {
    case 'subjects':
      return registry.createSubject(value as z.output<typeof schemas.subjects>).created;
    case 'devices':
      return registry.createDevice(value as z.output<typeof schemas.devices>).created;
    case 'memberships':
      return registry.createMembership(value as z.output<typeof schemas.memberships>).created;
    case 'assignments':
      return registry.createAssignment(value as z.output<typeof schemas.assignments>).created;
  }
}
