import { eventPayloadSchema, telemetryPayloadSchema } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { generateTimeline, loadScenario, mergeGroundTruth, ownerAt, type TimelineMessage } from '../../firmware-sim/src/index.js';

const world = await loadScenario('small');
const hour = 3_600_000;
const day = 24 * hour;
const monday = Date.UTC(2025, 5, 2); // 2 June 2025 was a Monday

describe('generateTimeline', () => {
  const twoDays = generateTimeline(world, 42, monday, monday + 2 * day);
  const valid = twoDays.messages.filter((m) => !m.fault);

  it('gives identical messages for the same window twice', () => {
    expect(generateTimeline(world, 42, monday, monday + 2 * day)).toEqual(twoDays);
  });

  it('gives, for two halves cut anywhere, the concatenation of the whole', () => {
    for (const cut of [monday + day, monday + 17 * hour + 12_345, monday + 23 * hour + 59 * 60_000]) {
      const first = generateTimeline(world, 42, monday, cut);
      const second = generateTimeline(world, 42, cut, monday + 2 * day);
      expect([...first.messages, ...second.messages]).toEqual(twoDays.messages);
      expect(mergeGroundTruth(first.groundTruth, second.groundTruth)).toEqual(twoDays.groundTruth);
    }
  });

  it('gives the same instants from a window that starts days earlier (a restart re-covering a period)', () => {
    const longer = generateTimeline(world, 42, monday - 3 * day, monday + day);
    expect(longer.messages.filter((m) => m.ts >= monday)).toEqual(twoDays.messages.filter((m) => m.ts < monday + day));
  });

  it('refuses a window that ends before it starts', () => {
    expect(() => generateTimeline(world, 42, monday, monday - 1)).toThrow(RangeError);
    expect(generateTimeline(world, 42, monday, monday).messages).toEqual([]);
  });

  it('depends on the seed', () => {
    expect(generateTimeline(world, 43, monday, monday + day).groundTruth.sessions).not.toEqual(
      generateTimeline(world, 42, monday, monday + day).groundTruth.sessions,
    );
  });

  it('produces payloads that the contracts accept, time-ordered and within the window', () => {
    for (const message of valid) {
      const schema = message.channel === 'telemetry' ? telemetryPayloadSchema : eventPayloadSchema;
      const payload = schema.parse(JSON.parse(message.payload));
      expect(payload.ts).toBe(message.ts);
      expect(payload.seq).toBe(message.seq);
    }
    expect(twoDays.messages.every((m, i, all) => i === 0 || all[i - 1]!.ts <= m.ts)).toBe(true);
    expect(twoDays.messages.every((m) => m.ts >= monday && m.ts < monday + 2 * day)).toBe(true);
  });

  it('aligns telemetry to the epoch at each device interval', () => {
    for (const device of world.devices.filter((d) => ownerAt(d, monday) !== null)) {
      const telemetry = valid.filter((m) => m.deviceId === device.id && m.channel === 'telemetry');
      expect(telemetry.length).toBe((2 * day) / (device.telemetry.intervalS * 1000));
      expect(telemetry.every((m) => m.ts % (device.telemetry.intervalS * 1000) === 0)).toBe(true);
    }
  });

  it('derives seq from ts, strictly increasing per device, unique even with faults', () => {
    const byDevice = new Map<string, TimelineMessage[]>();
    for (const m of twoDays.messages) {
      const list = byDevice.get(m.deviceId) ?? [];
      list.push(m);
      byDevice.set(m.deviceId, list);
    }
    for (const [deviceId, messages] of byDevice) {
      const seqs = messages.map((m) => m.seq);
      expect(
        seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!),
        deviceId,
      ).toBe(true);
      expect(messages.every((m) => Math.floor(m.seq / 4) === m.ts)).toBe(true);
    }
  });

  it('pairs usage.start and usage.stop per session, with the actor only where the device knows it', () => {
    const events = valid.filter((m) => m.channel === 'events').map((m) => ({ deviceId: m.deviceId, ...eventPayloadSchema.parse(JSON.parse(m.payload)) }));
    const inside = (ms: number) => ms >= monday && ms < monday + 2 * day;
    for (const session of twoDays.groundTruth.sessions) {
      const mine = events.filter((e) => e.deviceId === session.deviceId && e.ts >= session.startMs && e.ts <= session.endMs);
      expect(mine[0]).toMatchObject({ ts: session.startMs, type: 'usage.start' });
      if (inside(session.endMs)) expect(mine.at(-1)).toMatchObject({ ts: session.endMs, type: 'usage.stop' });
      expect(mine.every((e) => (e.actor ?? null) === session.actor)).toBe(true);
      const device = world.devices.find((d) => d.id === session.deviceId)!;
      expect(session.subjectId).toBe(device.owner);
      if (!device.reportsActor) expect(session.actor).toBeNull();
    }
    expect(twoDays.groundTruth.sessions.some((s) => s.deviceType === 'badge_reader' && s.actor !== null)).toBe(true);
  });

  it('never overlaps two sessions of one device, across midnight too', () => {
    const sessions = generateTimeline(world, 7, monday, monday + 14 * day).groundTruth.sessions;
    for (const device of world.devices) {
      const mine = sessions.filter((s) => s.deviceId === device.id);
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.startMs, device.id).toBeGreaterThan(mine[i - 1]!.endMs);
      for (const s of mine) expect(s.endMs - s.startMs).toBeLessThanOrEqual(12 * hour);
    }
    expect(sessions.some((s) => Math.floor(s.startMs / day) !== Math.floor(s.endMs / day))).toBe(true);
  });

  it('counts valid messages and sessions in its ground truth', () => {
    const { validMessages, sessions } = twoDays.groundTruth;
    expect(validMessages.telemetry).toBe(valid.filter((m) => m.channel === 'telemetry').length);
    expect(validMessages.events).toBe(valid.filter((m) => m.channel === 'events').length);
    const perDevice = Object.values(validMessages.perDevice);
    expect(perDevice.reduce((n, c) => n + c.telemetry + c.events, 0)).toBe(valid.length);
    expect(sessions.length).toBeGreaterThan(100);
    expect(sessions.every((s) => s.startMs >= monday && s.startMs < monday + 2 * day)).toBe(true);
  });

  it('follows the routines: office devices stay idle at the weekend', () => {
    const saturday = monday + 5 * day;
    const weekend = generateTimeline(world, 42, saturday, saturday + 2 * day).groundTruth.sessions;
    expect(weekend.filter((s) => s.deviceId.startsWith('acme-'))).toEqual([]);
    expect(weekend.some((s) => s.deviceType === 'ebike')).toBe(true);
  });
});
