import { durationSchema, idSchema, instantSchema, subjectSchema, typeNameSchema } from '@parcours/contracts';
import { z } from 'zod';

/**
 * A simulated world: who lives and works where, which devices they own or share, how they use them,
 * and how often devices misbehave. This schema is the only definition of a scenario file.
 */

/** Memberships and assignments start here unless the scenario says otherwise: before any simulated time. */
export const defaultValidFrom = Date.UTC(2020, 0, 1);

/** Sessions are at most 12 h long: a session can then spill over only into the next UTC day (timeline/sessions.ts). */
export const maxSessionMs = 12 * 3_600_000;

const attributesSchema = subjectSchema.shape.attributes;

/** A time of day in UTC: hours as a number (6.5) or `HH:MM` text ("06:30"). */
const hourSchema = z
  .union([z.number().min(0).max(24), z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'HH:MM between 00:00 and 24:00')])
  .transform((value) => (typeof value === 'number' ? value : Number(value.slice(0, 2)) + Number(value.slice(3)) / 60));

const dayPresets = {
  daily: [1, 1, 1, 1, 1, 1, 1],
  weekdays: [1, 1, 1, 1, 1, 0, 0],
  weekends: [0, 0, 0, 0, 0, 1, 1],
} as const;

/** Day-of-week weights, Monday first: a preset name or seven non-negative numbers. */
const daysSchema = z
  .union([z.enum(['daily', 'weekdays', 'weekends']), z.array(z.number().nonnegative()).length(7)])
  .transform((value): number[] => (typeof value === 'string' ? [...dayPresets[value]] : value));

const durationRangeSchema = z
  .strictObject({
    typical: durationSchema.describe('median length of a session, e.g. "45m" or "6s"'),
    spread: z.number().min(0).max(2).default(0.3).describe('log-normal spread: 0 makes every session typical'),
    min: durationSchema.optional().describe('shortest session (default: 1s)'),
    max: durationSchema.optional().describe('longest session (default: 4 × typical, at most 12h)'),
  })
  .transform((d, ctx) => {
    const min = d.min ?? 1000;
    const max = d.max ?? Math.min(4 * d.typical, maxSessionMs);
    if (max > maxSessionMs) ctx.addIssue({ code: 'custom', path: ['max'], message: 'at most 12h' });
    if (min < 1000 || min > d.typical || d.typical > max) {
      ctx.addIssue({ code: 'custom', message: 'needs 1s ≤ min ≤ typical ≤ max' });
    }
    return { typicalMs: d.typical, spread: d.spread, minMs: min, maxMs: max };
  });

/** One habit: sessions that start in [from, to) of a UTC day, most often around `peak`. */
const usageWindowSchema = z
  .strictObject({
    from: hourSchema,
    to: hourSchema,
    peak: hourSchema.optional().describe('most likely start (default: the middle of the window)'),
    perDay: z.number().nonnegative().max(1000).describe('sessions per day in this window at day weight 1: up to 1 the chance of one, above it a Poisson mean'),
    days: daysSchema.prefault('daily'),
    duration: durationRangeSchema,
    users: z.array(idSchema).min(1).optional().describe('individuals who use the device in this window, one drawn per session'),
    interactions: z.number().nonnegative().max(100).default(0).describe('expected `interaction` events per session'),
  })
  .superRefine((w, ctx) => {
    if (w.from >= w.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after `from` (windows do not wrap midnight)' });
    if (w.peak !== undefined && (w.peak < w.from || w.peak > w.to)) {
      ctx.addIssue({ code: 'custom', path: ['peak'], message: 'must lie within [from, to]' });
    }
  });
export type UsageWindow = z.output<typeof usageWindowSchema>;

const decimals = z.number().int().min(0).max(6);

/** How one metric behaves; `active` means during a usage session. */
export const metricModelSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('level').describe('idle or active value with relative noise (power_w, speed_kmh)'),
    idle: z.number(),
    active: z.number(),
    noise: z.number().min(0).max(1).default(0.03),
    min: z.number().optional(),
    decimals: decimals.default(1),
  }),
  z.strictObject({ kind: z.literal('flag').describe('true during a session (on)') }),
  z.strictObject({
    kind: z.literal('approach').describe('moves exponentially towards the idle or active target (temperature_c)'),
    idle: z.number(),
    active: z.number(),
    tauMin: z.number().positive().max(600),
    noise: z.number().nonnegative().default(0.1),
    decimals: decimals.default(1),
  }),
  z.strictObject({
    kind: z.literal('battery').describe("drains during sessions, charges between them, full again at a day's first session (battery_pct)"),
    drainPerH: z.number().positive(),
    chargePerH: z.number().positive(),
    decimals: decimals.default(0),
  }),
  z.strictObject({ kind: z.literal('daily_count').describe('sessions started since 00:00 UTC (badge swipes, print jobs)') }),
]);
export type MetricModel = z.output<typeof metricModelSchema>;

const intervalShape = {
  validFrom: instantSchema.default(defaultValidFrom),
  validTo: instantSchema.nullable().default(null),
};

const collectiveSchema = z.strictObject({
  id: idSchema,
  type: typeNameSchema.describe('household, workplace, public_space, community, rental, …'),
  name: z.string().min(1).max(200),
  attributes: attributesSchema,
});

const membershipEntrySchema = z.strictObject({
  id: idSchema.optional().describe('default: {individual}.{collective}'),
  collective: idSchema,
  role: z.string().max(64).nullable().default(null),
  ...intervalShape,
});

/** One step of a sequence: a session on `device`, then a pause before the next step. */
const sequenceStepSchema = z.strictObject({
  device: idSchema,
  duration: durationRangeSchema,
  gapAfter: durationSchema.default(60_000).describe('typical pause before the next step (drawn between half and twice this)'),
});

/**
 * A personal habit that chains devices (wake → coffee machine → shower → car): each occurrence is one
 * journey of this individual in the ground truth. Per person, so habits differ from one to the next.
 */
const sequenceSchema = z
  .strictObject({
    name: typeNameSchema.describe('morning, commute, …'),
    from: hourSchema,
    to: hourSchema,
    perDay: z.number().nonnegative().max(1).describe('chance that the sequence happens on a day of weight 1'),
    days: daysSchema.prefault('daily'),
    steps: z.array(sequenceStepSchema).min(2),
  })
  .refine((q) => q.from < q.to, { path: ['to'], message: 'must be after `from` (sequences do not wrap midnight)' });
export type Sequence = z.output<typeof sequenceSchema>;

const individualSchema = z.strictObject({
  id: idSchema,
  type: typeNameSchema.default('person'),
  name: z.string().min(1).max(200),
  attributes: attributesSchema.describe('ageBand, role, …'),
  memberships: z.array(membershipEntrySchema).default([]),
  sequences: z.array(sequenceSchema).default([]),
});

const deviceEntrySchema = z.strictObject({
  id: idSchema,
  type: typeNameSchema,
  model: z.string().max(200),
  name: z.string().max(200).optional(),
  owner: idSchema.describe('the individual or collective the device is assigned to'),
  assignmentId: idSchema.optional().describe('default: {device}.{owner}'),
  ...intervalShape,
  reassignments: z
    .array(z.strictObject({ owner: idSchema, assignmentId: idSchema.optional(), ...intervalShape }))
    .default([])
    .describe('later owners, in order (a device sold, handed down): the device publishes only while assigned'),
  reportsActor: z.boolean().default(false).describe('whether events name their user (badge, profile, rental app)'),
  reportsEvents: z.boolean().default(true).describe('false: the device sends telemetry only (a metered plug), so its sessions show only in its metrics'),
  telemetry: z.strictObject({
    intervalS: z.number().int().min(1).max(86_400),
    metrics: z.record(typeNameSchema, metricModelSchema).refine((m) => Object.keys(m).length > 0, 'at least one metric'),
  }),
  routine: z.strictObject({ windows: z.array(usageWindowSchema) }),
});

const perDay = (what: string) => z.number().nonnegative().max(100_000).default(0).describe(`${what} per simulated day, over the fleet`);

/** How often devices misbehave; every rate defaults to 0, so a scenario opts into each fault. */
export const faultRatesSchema = z.strictObject({
  malformedJsonPerDay: perDay('truncated JSON payloads'),
  wrongTypesPerDay: perDay('payloads with fields of the wrong type'),
  unknownFieldsPerDay: perDay('payloads with a field the contract does not know (the payload schemas are strict)'),
  oversizePerDay: perDay('payloads larger than `oversizeBytes`'),
  oversizeBytes: z
    .number()
    .int()
    .min(1024)
    .max(1_000_000)
    .default(100_000)
    .describe("size of an oversize payload: above the gateway's maxPayloadBytes (64 KiB), below mqtt.maxPacketSize (1 MiB)"),
  unknownDevicePerDay: perDay('messages from device ids not in the world'),
  duplicatePerDay: perDay('messages sent twice with the same (device, seq)'),
  redeliveryPerDay: perDay('QoS 1 messages resent with the DUP flag after a forced reconnect'),
  clockSkewPerDay: perDay('messages stamped by a clock running ahead by `clockSkewAhead`'),
  clockSkewAhead: durationSchema
    .default(86_400_000)
    .describe("how far a skewed clock is ahead: more than the gateway's maxClockSkew plus the run's lag behind real time"),
  clockStuckPerDay: perDay('messages stamped by a clock stuck in 1971 (never set)'),
  topicMismatchPerDay: perDay("messages a device publishes on another device's topic"),
  offlinePerDevicePerDay: z
    .number()
    .nonnegative()
    .max(100)
    .default(0)
    .describe('offline periods per device and simulated day: the device buffers, then replays in a burst'),
  offlineDuration: z
    .strictObject({ min: durationSchema.default(60_000), max: durationSchema.default(3_600_000) })
    .prefault({})
    .refine((d) => d.min <= d.max && d.max <= 12 * 3_600_000, 'needs min ≤ max ≤ 12h')
    .describe('length of an offline period, uniform in [min, max]'),
  reconnectStormsPerDay: perDay('reconnect storms (many devices drop and reconnect at once)'),
  stormFraction: z.number().min(0).max(1).default(0.5).describe('share of the fleet dropped by a storm'),
});

/**
 * Ephemeral users generated at a rate: each arrival is a new individual with a membership of `collective`
 * bounded to the stay (a weekend guest, a car-sharing rental, a visitor), who uses `uses` during it.
 */
const visitorRuleSchema = z
  .strictObject({
    id: idSchema.describe('prefix of the generated individuals: {id}-{day}-{n}'),
    collective: idSchema,
    role: z.string().max(64).default('guest'),
    from: hourSchema.describe('arrivals happen in [from, to) of a UTC day'),
    to: hourSchema,
    perDay: z.number().nonnegative().max(100).describe('arrivals per day of weight 1 (Poisson mean)'),
    days: daysSchema.prefault('daily'),
    stay: durationSchema.describe('how long the membership lasts, at most 3 days'),
    uses: z
      .array(z.strictObject({ device: idSchema, sessions: z.number().int().min(1).max(20).default(1), duration: durationRangeSchema }))
      .min(1)
      .describe('devices used during the stay, each `sessions` times at random instants'),
  })
  .superRefine((v, ctx) => {
    if (v.from >= v.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after `from`' });
    if (v.stay < 60_000 || v.stay > 3 * 86_400_000) ctx.addIssue({ code: 'custom', path: ['stay'], message: 'between 1m and 3d' });
  });
export type VisitorRule = z.output<typeof visitorRuleSchema>;

function membershipId(individualId: string, m: { id?: string | undefined; collective: string }): string {
  return m.id ?? `${individualId}.${m.collective}`;
}

function assignmentId(d: { id: string; owner: string; assignmentId?: string | undefined }): string {
  return d.assignmentId ?? `${d.id}.${d.owner}`;
}

export const worldSchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    description: z.string().optional(),
    collectives: z.array(collectiveSchema),
    individuals: z.array(individualSchema),
    devices: z.array(deviceEntrySchema),
    visitors: z.array(visitorRuleSchema).default([]),
    faults: faultRatesSchema.prefault({}),
  })
  .superRefine((world, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    // Collectives and individuals are all subjects: one id space.
    const subjects = new Map<string, 'collective' | 'individual'>();
    const addSubject = (id: string, kind: 'collective' | 'individual', path: (string | number)[]) => {
      if (subjects.has(id)) issue(path, `duplicate subject id "${id}"`);
      subjects.set(id, kind);
    };
    for (const [i, c] of world.collectives.entries()) addSubject(c.id, 'collective', ['collectives', i, 'id']);
    for (const [i, p] of world.individuals.entries()) addSubject(p.id, 'individual', ['individuals', i, 'id']);
    const recordIds = new Set<string>();
    const addRecordId = (id: string, path: (string | number)[]) => {
      if (!idSchema.safeParse(id).success) issue(path, `"${id}" is not a valid id: give one explicitly`);
      if (recordIds.has(id)) issue(path, `duplicate membership or assignment id "${id}": give one explicitly`);
      recordIds.add(id);
    };
    for (const [i, p] of world.individuals.entries()) {
      for (const [j, m] of p.memberships.entries()) {
        addRecordId(membershipId(p.id, m), ['individuals', i, 'memberships', j, 'id']);
        if (subjects.get(m.collective) !== 'collective') issue(['individuals', i, 'memberships', j, 'collective'], `no collective "${m.collective}"`);
        if (m.validTo !== null && m.validTo <= m.validFrom) issue(['individuals', i, 'memberships', j, 'validTo'], 'must be after validFrom');
      }
    }
    const devices = new Set<string>();
    world.devices.forEach((d, i) => {
      if (devices.has(d.id)) issue(['devices', i, 'id'], `duplicate device id "${d.id}"`);
      devices.add(d.id);
      addRecordId(assignmentId(d), ['devices', i, 'assignmentId']);
      if (!subjects.has(d.owner)) issue(['devices', i, 'owner'], `no subject "${d.owner}"`);
      if (d.validTo !== null && d.validTo <= d.validFrom) issue(['devices', i, 'validTo'], 'must be after validFrom');
      let previousEnd: number | null = d.validTo;
      d.reassignments.forEach((r, j) => {
        const path = ['devices', i, 'reassignments', j];
        addRecordId(r.assignmentId ?? `${d.id}.${r.owner}.${j + 1}`, [...path, 'assignmentId']);
        if (!subjects.has(r.owner)) issue([...path, 'owner'], `no subject "${r.owner}"`);
        if (previousEnd === null || r.validFrom < previousEnd) issue([...path, 'validFrom'], 'must not be before the end of the previous assignment');
        if (r.validTo !== null && r.validTo <= r.validFrom) issue([...path, 'validTo'], 'must be after validFrom');
        previousEnd = r.validTo;
      });
      for (const [j, w] of d.routine.windows.entries()) {
        for (const [k, user] of (w.users ?? []).entries()) {
          if (subjects.get(user) !== 'individual') issue(['devices', i, 'routine', 'windows', j, 'users', k], `no individual "${user}"`);
        }
      }
    });
    for (const [i, p] of world.individuals.entries()) {
      for (const [j, q] of p.sequences.entries()) {
        for (const [k, step] of q.steps.entries()) {
          if (!devices.has(step.device)) issue(['individuals', i, 'sequences', j, 'steps', k, 'device'], `no device "${step.device}"`);
        }
      }
    }
    world.visitors.forEach((v, i) => {
      if (subjects.get(v.collective) !== 'collective') issue(['visitors', i, 'collective'], `no collective "${v.collective}"`);
      if (subjects.has(`${v.id}-0-0`)) issue(['visitors', i, 'id'], `generated ids would clash with subject "${v.id}-0-0"`);
      v.uses.forEach((u, j) => {
        if (!devices.has(u.device)) issue(['visitors', i, 'uses', j, 'device'], `no device "${u.device}"`);
      });
    });
  })
  .transform((world) => ({
    ...world,
    // Deterministic ids make registration idempotent: a second run posts the same records.
    individuals: world.individuals.map((p) => ({
      ...p,
      memberships: p.memberships.map((m) => ({ ...m, id: membershipId(p.id, m) })),
    })),
    devices: world.devices.map((d) => ({
      ...d,
      assignmentId: assignmentId(d),
      reassignments: d.reassignments.map((r, j) => ({ ...r, assignmentId: r.assignmentId ?? `${d.id}.${r.owner}.${j + 1}` })),
    })),
  }));

export type World = z.output<typeof worldSchema>;
export type WorldInput = z.input<typeof worldSchema>;
export type WorldDevice = World['devices'][number];
export type FaultRates = World['faults'];
