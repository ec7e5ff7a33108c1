import fc from 'fast-check';

/**
 * Small random worlds for the property "streaming gives exactly the batch's results": a few collectives
 * and their members, shared devices (events, a telemetry threshold, an ambient one) and personal ones,
 * each with some uses, a clock that may run hours ahead (the gateway corrects it), and a spell offline
 * after which it replays what it buffered. A world is plain data built from small numbers (indexes taken
 * modulo what exists), so that fast-check shrinks it to a few devices and uses.
 */

const minute = 60_000;
/** A Monday morning: the world's first minute. */
export const worldStart = Date.UTC(2026, 2, 2, 6);
/** How far ahead of the true time a wrong clock runs: past the gateway's skew, so it is corrected. */
const clockAhead = 3 * 60 * minute;
/** The spacing of a threshold device's samples, and of the samples back under it after a use. */
const sampleEvery = minute;

export type DeviceKind = 'shared-events' | 'shared-threshold' | 'ambient' | 'personal-events' | 'personal-threshold';

export interface UseSpec {
  startMin: number;
  startSec: number;
  lengthMin: number;
  /** Events: a `usage.stop` at the end. Threshold: samples back under the threshold after it (else it goes silent). */
  ends: boolean;
  /** Shared event devices: the individual named as actor (an index into all of them: maybe not a member, then rejected). */
  actor: number | null;
  interactions: number;
}

export interface DeviceSpec {
  kind: DeviceKind;
  /** Which type of its kind. */
  variant: number;
  /** A collective (shared, ambient) or an individual (personal), by index. */
  owner: number;
  clockAhead: boolean;
  offline: { startMin: number; lengthMin: number } | null;
  uses: UseSpec[];
  /** Minutes of battery readings: telemetry that is no use, but keeps a session from going idle. */
  readings: number[];
}

export interface WorldSpec {
  /** Members of each collective; individuals are numbered across collectives, and one may be in none. */
  collectives: number[];
  loners: number;
  devices: DeviceSpec[];
}

const useArb: fc.Arbitrary<UseSpec> = fc.record({
  startMin: fc.integer({ min: 0, max: 150 }),
  startSec: fc.integer({ min: 0, max: 59 }),
  lengthMin: fc.integer({ min: 0, max: 75 }),
  ends: fc.boolean(),
  actor: fc.option(fc.nat(5), { freq: 2 }),
  interactions: fc.nat(3),
});

const deviceArb: fc.Arbitrary<DeviceSpec> = fc.record({
  kind: fc.constantFrom<DeviceKind>('shared-events', 'shared-threshold', 'ambient', 'personal-events', 'personal-threshold'),
  variant: fc.nat(1),
  owner: fc.nat(5),
  // One clock in five runs ahead; shrinks to a good one.
  clockAhead: fc.integer({ min: 0, max: 4 }).map((n) => n === 4),
  offline: fc.option(fc.record({ startMin: fc.integer({ min: 0, max: 170 }), lengthMin: fc.integer({ min: 3, max: 60 }) }), { freq: 2 }),
  uses: fc.array(useArb, { minLength: 1, maxLength: 4 }),
  readings: fc.array(fc.integer({ min: 0, max: 180 }), { maxLength: 3 }),
});

export const worldArb: fc.Arbitrary<WorldSpec> = fc.record({
  collectives: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }),
  loners: fc.nat(1),
  devices: fc.array(deviceArb, { minLength: 1, maxLength: 6 }),
});

/** The device types, their session rules, and which kinds use them. */
export const typesOf: Record<DeviceKind, readonly string[]> = {
  'shared-events': ['coffee_machine', 'tv'],
  'shared-threshold': ['washing_machine', 'washing_machine'],
  ambient: ['thermostat', 'water_heater'],
  'personal-events': ['phone', 'toothbrush'],
  'personal-threshold': ['ebike', 'ebike'],
};

export const sessionRules = {
  tv: { idleTimeout: '15m' },
  washing_machine: { threshold: { metric: 'power_w', threshold: 50, hysteresis: 10, closeAfter: '2m', minDuration: '3m' } },
  thermostat: { ambient: true },
  water_heater: { threshold: { metric: 'power_w', threshold: 500, closeAfter: '1m' }, ambient: true },
  ebike: { threshold: { metric: 'speed_kmh', threshold: 5, hysteresis: 1, closeAfter: '1m', minDuration: '2m' }, maxLength: '30m' },
};

/** The metric and the values in use and idle of a threshold type. */
const metricOf: Record<string, { metric: string; on: number; off: number }> = {
  washing_machine: { metric: 'power_w', on: 400, off: 2 },
  water_heater: { metric: 'power_w', on: 2000, off: 0 },
  ebike: { metric: 'speed_kmh', on: 18, off: 0 },
};

export interface Subject {
  id: string;
  kind: 'individual' | 'collective';
  type: string;
}

export interface WorldDevice {
  id: string;
  type: string;
  owner: string;
  clockAhead: boolean;
  /** Buffered from `from`, replayed at `to`. */
  offline: { from: number; to: number } | null;
}

/** One message a device sends: at `sentAt` (its true time), stamped `ts` by its clock. */
export interface WorldMessage {
  deviceId: string;
  seq: number;
  channel: 'events' | 'telemetry';
  sentAt: number;
  ts: number;
  body: { type: string; actor?: string } | { metrics: Record<string, number> };
}

export interface World {
  subjects: Subject[];
  memberships: { individualId: string; collectiveId: string }[];
  devices: WorldDevice[];
  messages: WorldMessage[];
}

/** The world a spec describes: ids, registry and every message, each device's in its own time order. */
export function buildWorld(spec: WorldSpec): World {
  const collectives = spec.collectives.map((_, k) => `h${k}`);
  const individuals: string[] = [];
  const memberships: World['memberships'] = [];
  spec.collectives.forEach((members, k) => {
    for (let m = 0; m < members; m++) {
      const id = `p${individuals.length}`;
      individuals.push(id);
      memberships.push({ individualId: id, collectiveId: collectives[k]! });
    }
  });
  for (let l = 0; l < spec.loners; l++) individuals.push(`p${individuals.length}`);
  const subjects: Subject[] = [
    ...collectives.map((id) => ({ id, kind: 'collective' as const, type: 'household' })),
    ...individuals.map((id) => ({ id, kind: 'individual' as const, type: 'person' })),
  ];
  const devices: WorldDevice[] = [];
  const messages: WorldMessage[] = [];
  spec.devices.forEach((d, k) => {
    const type = typesOf[d.kind][d.variant % 2]!;
    const personal = d.kind.startsWith('personal');
    const owner = personal ? individuals[d.owner % individuals.length]! : collectives[d.owner % collectives.length]!;
    const id = `d${k}-${type}`;
    const offline = d.offline && { from: at(d.offline.startMin, 0), to: at(d.offline.startMin + d.offline.lengthMin, 0) };
    devices.push({ id, type, owner, clockAhead: d.clockAhead, offline });
    const sent = new Map<number, WorldMessage['body'] & { channel: WorldMessage['channel'] }>();
    const send = (t: number, channel: WorldMessage['channel'], body: WorldMessage['body']) => {
      // One message per instant and device: which of two came first would be the log's arbitrary order.
      if (!sent.has(t)) sent.set(t, { channel, ...body });
    };
    for (const use of d.uses) {
      const start = at(use.startMin, use.startSec);
      const length = use.lengthMin * minute + 30_000;
      const metric = metricOf[type];
      if (metric) {
        for (let t = start; t <= start + length; t += sampleEvery) send(t, 'telemetry', { metrics: { [metric.metric]: metric.on } });
        if (use.ends) for (let n = 1; n <= 3; n++) send(start + length + n * sampleEvery, 'telemetry', { metrics: { [metric.metric]: metric.off } });
        continue;
      }
      const actor = d.kind === 'shared-events' && use.actor !== null ? individuals[use.actor % individuals.length] : undefined;
      send(start, 'events', { type: 'usage.start', ...(actor ? { actor } : {}) });
      for (let n = 1; n <= use.interactions; n++) send(start + Math.round((n * length) / (use.interactions + 1)), 'events', { type: 'interaction' });
      if (use.ends) send(start + length, 'events', { type: 'usage.stop' });
    }
    for (const m of d.readings) send(at(m, 17), 'telemetry', { metrics: { battery_pct: 80 } });
    const ordered = [...sent.entries()].sort(([x], [y]) => x - y);
    for (const [n, [t, { channel, ...body }]] of ordered.entries())
      messages.push({ deviceId: id, seq: n + 1, channel, sentAt: t, ts: d.clockAhead ? t + clockAhead : t, body: body as WorldMessage['body'] });
  });
  return { subjects, memberships, devices, messages };
}

function at(minutes: number, seconds: number): number {
  return worldStart + minutes * minute + seconds * 1000;
}
