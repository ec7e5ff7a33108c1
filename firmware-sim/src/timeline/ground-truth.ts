import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { idSchema, typeNameSchema } from '@parcours/contracts';
import { z } from 'zod';
import { expectedOutcome, faultOutcomes, isStored } from './fault-outcomes.js';
import type { OfflinePeriod } from './offline.js';
import { buildJourneys, journeyTruthSchema } from './journeys.js';
import type { VisitorStay } from './plans.js';
import { faultKinds, type TimelineMessage } from './types.js';

/**
 * What the platform should find in a window [fromMs, toMs): the sessions that start in it, those running at its start, the valid
 * messages published in it, and the faults injected. Written to a file so that end-to-end checks and the
 * accuracy command can read it back with this schema.
 */

const countsSchema = z.object({ telemetry: z.number().int().nonnegative(), events: z.number().int().nonnegative() });
export type MessageCounts = z.infer<typeof countsSchema>;

export const sessionTruthSchema = z.object({
  deviceId: idSchema,
  deviceType: typeNameSchema,
  subjectId: idSchema.nullable().describe('the owner the device is assigned to at the start, null outside the assignment'),
  user: idSchema.nullable().describe('who really used it (a member, the owner, a visitor), null when nobody in particular'),
  actor: idSchema.nullable().describe('the user named by the events, null when the device cannot know'),
  startMs: z.number().int(),
  endMs: z.number().int().describe('may lie beyond toMs: the usage.stop is then in the next window'),
});
export type SessionTruth = z.infer<typeof sessionTruthSchema>;

export const faultTruthSchema = z.object({
  kind: z.enum(faultKinds),
  deviceId: idSchema.describe('the misbehaving device (for topic_mismatch, the publisher)'),
  ts: z.number().int().describe('true time of the faulty message, or start of the offline period'),
  untilMs: z.number().int().nullable().describe('end of an offline period (the burst replay), null otherwise'),
  topicDeviceId: idSchema.nullable().describe('topic_mismatch: the device whose topic was used'),
  outcome: z.enum(faultOutcomes).describe('what the gateway should do: quarantine, count a duplicate, correct the clock, store late'),
  reason: z.string().nullable().describe('the quarantine reason code, for quarantined faults'),
  refusedAtConnect: z.boolean().describe('the broker refused the connection, so the fault was never published'),
});
export type FaultTruth = z.infer<typeof faultTruthSchema>;

const worldIdsSchema = z
  .object({ devices: z.array(idSchema), subjects: z.array(idSchema).describe('its collectives and individuals, and the visitors staying in the window') })
  .describe("the simulated world's ids: what Parcours derived for others (another fleet beside it) is not compared");
export type WorldIds = z.infer<typeof worldIdsSchema>;

export const groundTruthSchema = z.object({
  fromMs: z.number().int(),
  toMs: z.number().int(),
  world: worldIdsSchema,
  sessions: z.array(sessionTruthSchema),
  runningAtStart: z
    .array(sessionTruthSchema)
    .default([])
    .describe(
      "sessions begun before the window and still running at the device's first telemetry sample in it, from that sample: what a telemetry rule lets the platform see (events alone cannot)",
    ),
  validMessages: countsSchema.extend({ perDevice: z.record(idSchema, countsSchema) }),
  faults: z.array(faultTruthSchema),
  journeys: z.array(journeyTruthSchema).describe('built from the sessions above, so the journeys of merged windows are recomputed over both'),
  visitors: z
    .array(z.object({ individualId: idSchema, rule: idSchema, collective: idSchema, role: z.string(), validFrom: z.number().int(), validTo: z.number().int() }))
    .describe('ephemeral members whose stay starts in the window'),
});
export type GroundTruth = z.infer<typeof groundTruthSchema>;

function addCounts(into: Record<string, MessageCounts>, deviceId: string, counts: MessageCounts): void {
  const current = (into[deviceId] ??= { telemetry: 0, events: 0 });
  current.telemetry += counts.telemetry;
  current.events += counts.events;
}

/** The ground truth of a generated window, from its time-ordered messages and its sessions (starting in it, and running at its start). */
export function buildGroundTruth(
  fromMs: number,
  toMs: number,
  messages: TimelineMessage[],
  sessions: { starting: SessionTruth[]; runningAtStart: SessionTruth[] },
  visitors: VisitorStay[],
  world: { devices: string[]; subjects: string[] },
  offline: OfflinePeriod[] = [],
): GroundTruth {
  const perDevice: Record<string, MessageCounts> = {};
  const faults: FaultTruth[] = [];
  let telemetry = 0;
  let events = 0;
  for (const message of messages) {
    if (message.fault) {
      const { publisher, deviceId } = message;
      faults.push({
        kind: message.fault,
        deviceId: publisher ?? deviceId,
        ts: message.ts,
        untilMs: null,
        topicDeviceId: publisher === undefined ? null : deviceId,
        ...expectedOutcome[message.fault],
        refusedAtConnect: false,
      });
      if (!isStored(message.fault)) continue;
    }
    const isTelemetry = message.channel === 'telemetry';
    if (isTelemetry) telemetry++;
    else events++;
    addCounts(perDevice, message.deviceId, { telemetry: isTelemetry ? 1 : 0, events: isTelemetry ? 0 : 1 });
  }
  for (const p of offline) {
    faults.push({
      kind: p.kind,
      deviceId: p.deviceId,
      ts: p.startMs,
      untilMs: p.endMs,
      topicDeviceId: null,
      ...expectedOutcome[p.kind],
      refusedAtConnect: false,
    });
  }
  const inOrder = (list: SessionTruth[]) => [...list].sort((a, b) => a.startMs - b.startMs || a.deviceId.localeCompare(b.deviceId));
  const ordered = inOrder(sessions.starting);
  const stays = visitors
    .filter((v) => v.validFrom >= fromMs && v.validFrom < toMs)
    .sort((a, b) => a.validFrom - b.validFrom || a.individualId.localeCompare(b.individualId));
  return {
    fromMs,
    toMs,
    world: { devices: world.devices, subjects: [...new Set([...world.subjects, ...visitors.map((v) => v.individualId)])] },
    sessions: ordered,
    runningAtStart: inOrder(sessions.runningAtStart),
    validMessages: { telemetry, events, perDevice },
    faults,
    journeys: buildJourneys(ordered),
    visitors: stays,
  };
}

/** Joins the ground truths of two adjacent windows [a.from, a.to) and [a.to, b.to). */
export function mergeGroundTruth(a: GroundTruth, b: GroundTruth): GroundTruth {
  if (a.toMs !== b.fromMs) throw new Error(`windows are not adjacent: ${a.toMs} ≠ ${b.fromMs}`);
  const perDevice: Record<string, MessageCounts> = {};
  for (const [deviceId, counts] of [...Object.entries(a.validMessages.perDevice), ...Object.entries(b.validMessages.perDevice)]) {
    addCounts(perDevice, deviceId, counts);
  }
  return {
    fromMs: a.fromMs,
    toMs: b.toMs,
    world: { devices: [...new Set([...a.world.devices, ...b.world.devices])], subjects: [...new Set([...a.world.subjects, ...b.world.subjects])] },
    sessions: [...a.sessions, ...b.sessions],
    // A session running across the boundary is whole in the first window.
    runningAtStart: a.runningAtStart,
    // Recomputed over both windows, so a journey across the boundary is one journey again.
    journeys: buildJourneys([...a.sessions, ...b.sessions]),
    visitors: [...a.visitors, ...b.visitors],
    validMessages: {
      telemetry: a.validMessages.telemetry + b.validMessages.telemetry,
      events: a.validMessages.events + b.validMessages.events,
      perDevice,
    },
    faults: [...a.faults, ...b.faults],
  };
}

/** Writes `<dir>/ground-truth-<fromMs>-<toMs>.json` atomically and returns its path. */
export async function writeGroundTruth(dir: string, truth: GroundTruth): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `ground-truth-${truth.fromMs}-${truth.toMs}.json`);
  await writeFile(`${path}.tmp`, `${JSON.stringify(truth, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
  return path;
}
