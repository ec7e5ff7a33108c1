import { z } from 'zod';
import { idSchema, typeNameSchema } from './ids.js';
import { instantSchema } from './time.js';

/** The subjects model (docs/design.md, "Subjects"): who usage is attributed to, and over which intervals. */

export const subjectKindSchema = z.enum(['individual', 'collective']);
export type SubjectKind = z.infer<typeof subjectKindSchema>;

const attributesSchema = z.record(z.string().max(64), z.union([z.string().max(1024), z.number(), z.boolean(), z.null()]));

export const subjectSchema = z.object({
  id: idSchema,
  kind: subjectKindSchema,
  type: typeNameSchema.describe('person, household, workplace, public_space, community, rental, …'),
  name: z.string().min(1).max(200),
  attributes: attributesSchema.default({}).describe('segment data such as region, age band or plan'),
});
export type Subject = z.infer<typeof subjectSchema>;

/** An interval `[validFrom, validTo)`; `validTo` null means open-ended (durable). */
const intervalShape = {
  validFrom: instantSchema,
  validTo: instantSchema.nullable().default(null),
};

export const membershipSchema = z.object({
  id: idSchema,
  individualId: idSchema,
  collectiveId: idSchema,
  role: z.string().max(64).nullable().default(null),
  ...intervalShape,
});
export type Membership = z.infer<typeof membershipSchema>;

export const deviceSchema = z.object({
  id: idSchema,
  type: typeNameSchema.describe('coffee_machine, thermostat, ebike, tv, badge_reader, …'),
  model: z.string().max(200).nullable().default(null),
  name: z.string().max(200).nullable().default(null),
});
export type Device = z.infer<typeof deviceSchema>;

export const assignmentSchema = z.object({
  id: idSchema,
  deviceId: idSchema,
  subjectId: idSchema,
  ...intervalShape,
});
export type Assignment = z.infer<typeof assignmentSchema>;

/** Creation bodies: the id is optional (generated when absent), so a client that names it can retry safely. */
export const subjectCreateSchema = subjectSchema.extend({ id: idSchema.optional() });
export const membershipCreateSchema = membershipSchema.extend({ id: idSchema.optional() });
export const deviceCreateSchema = deviceSchema.extend({ id: idSchema });
export const assignmentCreateSchema = assignmentSchema.omit({ deviceId: true }).extend({ id: idSchema.optional() });
export type SubjectCreate = z.input<typeof subjectCreateSchema>;
export type MembershipCreate = z.input<typeof membershipCreateSchema>;
export type DeviceCreate = z.input<typeof deviceCreateSchema>;
export type AssignmentCreate = z.input<typeof assignmentCreateSchema>;

/** Changes to a record: only the fields given change; ids, kinds and the owner of a membership do not. */
export const subjectPatchSchema = z.strictObject({
  type: subjectSchema.shape.type.optional(),
  name: subjectSchema.shape.name.optional(),
  attributes: attributesSchema.optional(),
});
export const membershipPatchSchema = z.strictObject({
  role: z.string().max(64).nullable().optional(),
  validFrom: instantSchema.optional(),
  validTo: instantSchema.nullable().optional(),
});
export const devicePatchSchema = z.strictObject({
  type: deviceSchema.shape.type.optional(),
  model: z.string().max(200).nullable().optional(),
  name: z.string().max(200).nullable().optional(),
});
export const assignmentPatchSchema = z.strictObject({
  subjectId: idSchema.optional(),
  validFrom: instantSchema.optional(),
  validTo: instantSchema.nullable().optional(),
});
export type SubjectPatch = z.output<typeof subjectPatchSchema>;
export type MembershipPatch = z.output<typeof membershipPatchSchema>;
export type DevicePatch = z.output<typeof devicePatchSchema>;
export type AssignmentPatch = z.output<typeof assignmentPatchSchema>;

/** One change of the registry, kept forever: what it was before and after, and when it changed. */
export const registryChangeSchema = z.object({
  seq: z.number().int(),
  at: instantSchema,
  entity: z.enum(['subject', 'membership', 'device', 'assignment']),
  entityId: z.string(),
  action: z.enum(['create', 'update', 'delete']),
  before: z.record(z.string(), z.unknown()).nullable(),
  after: z.record(z.string(), z.unknown()).nullable(),
});
export type RegistryChange = z.output<typeof registryChangeSchema>;

/**
 * API key roles: `admin` may do everything; `reader` may read everything; `integrator` may read only the
 * subjects granted to it, their sessions and journeys.
 */
export const apiRoleSchema = z.enum(['admin', 'reader', 'integrator']);
export type ApiRole = z.infer<typeof apiRoleSchema>;

export const apiKeyInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: apiRoleSchema,
  subjects: z.array(idSchema).describe('for an integrator: the subjects it may read'),
  createdAt: instantSchema,
});
export type ApiKeyInfo = z.output<typeof apiKeyInfoSchema>;

/** MQTT credentials of a device: the secret is shown once, when it is issued. */
export const deviceCredentialsSchema = z.object({
  deviceId: idSchema,
  username: z.string(),
  secret: z.string(),
});
export type DeviceCredentials = z.infer<typeof deviceCredentialsSchema>;
