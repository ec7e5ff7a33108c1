import { configSchema, type LogRecord } from '@parcours/contracts';
import { isAmbient, memberEvidence, sessionRulesFrom, type MemberEvidenceMap, type SessionRules } from '@parcours/analytics';
import { generateTimeline, loadScenario, ownerAt, PlanBook, type World } from '@parcours/firmware-sim';

/**
 * The sessions only inference can name, from simulated timelines: for each session on a shared device
 * that names nobody (not ambient) whose user the simulator knows, the members at its start and the
 * evidence the real inference code reads of them from the personal devices' messages within the window.
 */

export interface Sample {
  scenario: string;
  seed: number;
  deviceType: string;
  user: string;
  members: string[];
  /** The types of the personal devices each member owned at the start (none: the member cannot be observed). */
  deviceTypes: Record<string, string[]>;
  evidence: MemberEvidenceMap;
}

const hour = 3_600_000;
const day = 24 * hour;

/** The settings Parcours runs with by default. */
export const defaults = configSchema.parse({}).analytics;
export const rules: SessionRules = sessionRulesFrom(defaults);

/** A window of `days` days from a start that depends on the seed: weekdays and weekends, not aligned to midnight. */
function windowOf(seed: number, days: number): { from: number; to: number } {
  const from = Date.UTC(2026, 1, 2) + ((seed * 7919) % 28) * day + ((seed * 104_729) % day);
  return { from, to: from + days * day };
}

/** The records Parcours would log of the individuals' devices (attributed to their owner), by owner. */
function personalRecords(world: World, messages: ReturnType<typeof generateTimeline>['messages'], individuals: ReadonlySet<string>): Map<string, LogRecord[]> {
  const deviceById = new Map(world.devices.map((d) => [d.id, d]));
  const byOwner = new Map<string, LogRecord[]>();
  for (const m of messages) {
    const device = deviceById.get(m.deviceId);
    if (m.fault !== undefined || device === undefined) continue;
    const owner = ownerAt(device, m.ts);
    if (owner === null || !individuals.has(owner)) continue;
    const payload = JSON.parse(m.payload) as { type?: string; metrics?: Record<string, number | boolean> };
    const record: LogRecord = {
      offset: 0,
      deviceId: m.deviceId,
      deviceType: device.type,
      seq: m.seq,
      channel: m.channel,
      ts: m.ts,
      deviceTs: null,
      receivedAt: m.ts,
      actorHint: null,
      type: payload.type ?? null,
      metrics: payload.metrics ?? null,
      attrs: null,
      subjectKind: 'individual',
      subjectId: owner,
      actor: null,
    } as LogRecord;
    const list = byOwner.get(owner) ?? [];
    list.push(record);
    byOwner.set(owner, list);
  }
  return byOwner;
}

/** The samples of one scenario and seed over `days` simulated days. */
export async function samplesOf(scenario: string, seed: number, days: number): Promise<Sample[]> {
  const world = await loadScenario(scenario);
  const { from, to } = windowOf(seed, days);
  const windowMs = defaults.actorInferenceWindow;
  const timeline = generateTimeline(world, seed, from - hour, to + hour);
  const stays = new PlanBook(world, seed).staysBetween(from - hour, to + hour);
  const individuals = new Set(world.individuals.map((p) => p.id));
  const records = personalRecords(world, timeline.messages, individuals);
  const deviceById = new Map(world.devices.map((d) => [d.id, d]));
  const membersAt = (collective: string, t: number) => [
    ...world.individuals
      .filter((p) => p.memberships.some((m) => m.collective === collective && t >= m.validFrom && (m.validTo === null || t < m.validTo)))
      .map((p) => p.id),
    ...stays.filter((s) => s.collective === collective && t >= s.validFrom && t < s.validTo).map((s) => s.individualId),
  ];
  const samples: Sample[] = [];
  for (const s of timeline.groundTruth.sessions) {
    const device = deviceById.get(s.deviceId);
    if (s.startMs < from || s.startMs >= to || device === undefined || device.reportsActor) continue;
    if (s.user === null || s.subjectId === null || individuals.has(s.subjectId) || isAmbient(rules, s.deviceType)) continue;
    const members = membersAt(s.subjectId, s.startMs);
    const deviceTypes = Object.fromEntries(members.map((id) => [id, world.devices.filter((d) => ownerAt(d, s.startMs) === id).map((d) => d.type)]));
    const near = members.flatMap((id) => records.get(id) ?? []).filter((r) => Math.abs(r.ts - s.startMs) <= windowMs);
    samples.push({ scenario, seed, deviceType: s.deviceType, user: s.user, members, deviceTypes, evidence: memberEvidence(near, s.startMs, rules) });
  }
  return samples;
}
