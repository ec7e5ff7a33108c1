import { z } from 'zod';
import { idSchema, typeNameSchema } from './ids.js';
import { instantSchema } from './time.js';

/** The subjects model (docs/design.md, "Subjects"): who usage is attributed to, and over which intervals. */

export const subjectKindSchema = z.enum(['individual', 'collective']);
export type SubjectKind = z.infer<typeof subjectKindSchema>;

const attributesSchema = z.record(z.string().max(64), z.union([z.string().max(1024), z.number(), z.boolean(), z.null()]));

export const subjectSchema = z.object({
  id: idSchema.describe("the subject's id, chosen by the client or generated"),
  kind: subjectKindSchema.describe('an individual (a person) or a collective (a household, a workplace, …)'),
  type: typeNameSchema.describe('person, household, workplace, public_space, community, rental, …'),
  name: z.string().min(1).max(200).describe('a name for people to read'),
  attributes: attributesSchema.default({}).describe('segment data such as region, age band or plan'),
});
export type Subject = z.infer<typeof subjectSchema>;

/** An interval `[validFrom, validTo)`; `validTo` null means open-ended (durable). */
const intervalShape = {
  validFrom: instantSchema.describe('start of the interval (ISO 8601)'),
  validTo: instantSchema.nullable().default(null).describe('end of the interval, excluded (ISO 8601); null: open-ended'),
};

/** How a panel member was drawn: the base of its design weight, and where replacements and rotations look. */
export const memberDrawSchema = z.object({
  inclusionProbability: z.number().gt(0).lte(1).describe('the probability the draw had of selecting the member; its design weight is the inverse'),
  stratum: z.string().max(512).nullable().describe('the quota cell it was drawn in (`region=84|age_band=25-34`); null: a balanced draw'),
  rotationGroup: z.number().int().min(0).describe('its rotation group, from 0'),
});
export type MemberDraw = z.infer<typeof memberDrawSchema>;

export const membershipSchema = z.object({
  id: idSchema.describe("the membership's id, chosen by the client or generated"),
  individualId: idSchema.describe('the member: an individual'),
  collectiveId: idSchema.describe('the collective'),
  role: z.string().max(64).nullable().default(null).describe('free text (parent, tenant, employee, …); null: none'),
  ...intervalShape,
  draw: memberDrawSchema.optional().describe("a panel's member: how it was drawn"),
});
export type Membership = z.infer<typeof membershipSchema>;

export const deviceSchema = z.object({
  id: idSchema.describe("the device's id, also its MQTT user name and the device segment of its topics"),
  type: typeNameSchema.describe('coffee_machine, thermostat, ebike, tv, badge_reader, …'),
  model: z.string().max(200).nullable().default(null).describe('the make or model; null: unknown'),
  name: z.string().max(200).nullable().default(null).describe('a name for people to read; null: none'),
});
export type Device = z.infer<typeof deviceSchema>;

export const assignmentSchema = z.object({
  id: idSchema.describe("the assignment's id, chosen by the client or generated"),
  deviceId: idSchema.describe('the device'),
  subjectId: idSchema.describe('the subject it belongs to over the interval'),
  ...intervalShape,
});
export type Assignment = z.infer<typeof assignmentSchema>;

/** Creation bodies: the id is optional (generated when absent), so a client that names it can retry safely. */
export const subjectCreateSchema = subjectSchema.extend({ id: idSchema.optional().describe('the id to give it; generated when absent') });
export const membershipCreateSchema = membershipSchema.extend({ id: idSchema.optional().describe('the id to give it; generated when absent') });
/** A device always names its id: it is its MQTT user name. */
export const deviceCreateSchema = deviceSchema;
export const assignmentCreateSchema = assignmentSchema
  .omit({ deviceId: true })
  .extend({ id: idSchema.optional().describe('the id to give it; generated when absent') });
export type SubjectCreate = z.input<typeof subjectCreateSchema>;
export type MembershipCreate = z.input<typeof membershipCreateSchema>;
export type DeviceCreate = z.input<typeof deviceCreateSchema>;
export type AssignmentCreate = z.input<typeof assignmentCreateSchema>;

/** Changes to a record: only the fields given change; ids, kinds and the owner of a membership do not. */
export const subjectPatchSchema = z.strictObject({
  type: subjectSchema.shape.type.optional(),
  name: subjectSchema.shape.name.optional(),
  attributes: attributesSchema.optional().describe('replace all its attributes with these'),
});
export const membershipPatchSchema = z.strictObject({
  role: membershipSchema.shape.role.optional(),
  validFrom: intervalShape.validFrom.optional(),
  validTo: intervalShape.validTo.optional(),
});
export const devicePatchSchema = z.strictObject({
  type: deviceSchema.shape.type.optional(),
  model: deviceSchema.shape.model.optional(),
  name: deviceSchema.shape.name.optional(),
});
export const assignmentPatchSchema = z.strictObject({
  subjectId: assignmentSchema.shape.subjectId.optional(),
  validFrom: intervalShape.validFrom.optional(),
  validTo: intervalShape.validTo.optional(),
});
export type SubjectPatch = z.output<typeof subjectPatchSchema>;
export type MembershipPatch = z.output<typeof membershipPatchSchema>;
export type DevicePatch = z.output<typeof devicePatchSchema>;
export type AssignmentPatch = z.output<typeof assignmentPatchSchema>;

/** One change of the registry, kept forever: what it was before and after, and when it changed. */
export const registryChangeSchema = z.object({
  seq: z.number().int().describe('its place in the history; pass the last one read as `after`'),
  at: instantSchema.describe('when it changed'),
  entity: z.enum(['subject', 'membership', 'device', 'assignment']).describe('the kind of record'),
  entityId: z.string().describe("the record's id"),
  action: z.enum(['create', 'update', 'delete']).describe('what was done to it'),
  before: z.record(z.string(), z.unknown()).nullable().describe('the record before; null for a creation'),
  after: z.record(z.string(), z.unknown()).nullable().describe('the record after; null for a deletion'),
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
  deviceId: idSchema.describe('the device'),
  username: z.string().describe('its MQTT user name'),
  secret: z.string().describe('its MQTT password, shown this once'),
});
export type DeviceCredentials = z.infer<typeof deviceCredentialsSchema>;
