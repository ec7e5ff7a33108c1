import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDeviceTopic } from '@parcours/contracts';
import type { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateTimeline, groundTruthSchema, parseScenario, Simulator, type SimulatorOptions } from '@parcours/firmware-sim';
import { small } from '../firmware-sim/src/scenarios/small.js';
import { sendTime } from '../firmware-sim/src/timeline/types.js';
import { startApiDouble, type ApiDouble } from './api-double.js';
import { settle, waitUntil } from './mqtt-clients.js';

const hour = 3_600_000;
const from = Date.UTC(2025, 5, 2, 7); // a Monday morning: commutes, coffee, badges
const world = parseScenario({ ...small, faults: { malformedJsonPerDay: 96, wrongTypesPerDay: 96, unknownDevicePerDay: 96 } });
const seed = 5;

interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

describe('Simulator against a real broker', () => {
  let api: ApiDouble;
  let broker: Aedes;
  let server: Server;
  let mqttUrl: string;
  let subscriber: MqttClient;
  let received: Received[];
  let dataDir: string;
  let allowAnonymous: boolean;
  const simulators: Simulator[] = [];

  beforeEach(async () => {
    api = await startApiDouble();
    allowAnonymous = true;
    const { Aedes } = await import('aedes');
    broker = await Aedes.createBroker({
      authenticate: (_client, username, password, done) => {
        if (username === undefined) return allowAnonymous ? done(null, true) : done(Object.assign(new Error('not authorized'), { returnCode: 5 }), false);
        done(null, api.authenticate(username, password?.toString('utf8')));
      },
    });
    server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    mqttUrl = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
    received = [];
    subscriber = await connectAsync(mqttUrl, { clientId: 'observer' });
    subscriber.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString('utf8'), retain: packet.retain }));
    await subscriber.subscribeAsync('parcours/devices/#', { qos: 1 });
    dataDir = await mkdtemp(join(tmpdir(), 'parcours-sim-'));
  });

  afterEach(async () => {
    await Promise.all(simulators.splice(0).map((s) => s.stop()));
    await subscriber.endAsync();
    if (!broker.closed) await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await api.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  function simulator(options: Partial<SimulatorOptions>): Simulator {
    const sim = new Simulator({
      scenario: world,
      seed,
      speed: 'max',
      mqttUrl,
      apiUrl: api.url,
      apiKey: 'test-key',
      baseTopic: 'parcours',
      dataDir,
      qos: 1,
      logger: pino({ level: 'silent' }),
      clockRules: { maxClockSkewMs: 5 * 60_000, maxLatenessMs: 7 * 86_400_000 },
      unknownDeviceAuth: null,
      ...options,
    });
    simulators.push(sim);
    return sim;
  }

  /** Device messages received so far, as `device|channel|payload`, sorted. */
  function deviceMessages(): string[] {
    return received
      .map((r) => ({ ...r, parsed: parseDeviceTopic('parcours', r.topic) }))
      .filter((r) => r.parsed && r.parsed.channel !== 'status')
      .map((r) => `${r.parsed!.deviceId}|${r.parsed!.channel}|${r.payload}`)
      .sort();
  }

  async function waitForMessages(count: number): Promise<void> {
    await waitUntil(() => deviceMessages().length >= count);
  }

  it('publishes exactly the timeline of a 2-hour window, faults included, and writes its ground truth', async () => {
    const expected = generateTimeline(world, seed, from, from + 2 * hour);
    const sim = simulator({ from, to: from + 2 * hour });
    await sim.start();
    const summary = await sim.done;
    await waitForMessages(expected.messages.length);

    expect(deviceMessages()).toEqual(expected.messages.map((m) => `${m.deviceId}|${m.channel}|${m.payload}`).sort());
    expect(summary.groundTruth).toEqual(expected.groundTruth);
    const truth = summary.groundTruth;
    const faultKinds = new Set(truth.faults.map((f) => f.kind));
    expect(faultKinds).toEqual(new Set(['bad_json', 'wrong_types', 'unknown_device']));
    expect(summary.published).toEqual({ telemetry: truth.validMessages.telemetry, events: truth.validMessages.events, faults: truth.faults.length });
    expect(summary.failed).toBe(0);
    expect(truth.sessions.length).toBeGreaterThan(20);

    const onDisk = groundTruthSchema.parse(JSON.parse(await readFile(summary.groundTruthPath, 'utf8')));
    expect(onDisk).toEqual(truth);
    expect(summary.groundTruthPath).toBe(join(dataDir, 'sim', `ground-truth-${from}-${from + 2 * hour}.json`));
    expect(JSON.parse(await readFile(join(dataDir, 'sim', 'state.json'), 'utf8'))).toEqual({ reachedMs: from + 2 * hour });

    // Every device said `online` (retained) and says `offline` when it stops.
    const statuses = (payload: string) => new Set(received.filter((r) => r.topic.endsWith('/status') && r.payload === payload).map((r) => r.topic));
    expect(statuses('online').size).toBe(world.devices.length);
    await sim.stop();
    await waitUntil(() => statuses('offline').size === world.devices.length);
  });

  it('records unknown-device faults as refused when the broker refuses anonymous clients', async () => {
    allowAnonymous = false;
    const sim = simulator({ from, to: from + hour });
    await sim.start();
    const summary = await sim.done;
    const { faults, validMessages } = summary.groundTruth;
    const unknown = faults.filter((f) => f.kind === 'unknown_device');
    expect(unknown.length).toBeGreaterThan(0);
    expect(unknown.every((f) => f.refusedAtConnect)).toBe(true);
    expect(faults.filter((f) => f.kind !== 'unknown_device').every((f) => !f.refusedAtConnect)).toBe(true);
    expect(summary.published.faults).toBe(faults.length - unknown.length);
    await waitForMessages(validMessages.telemetry + validMessages.events + summary.published.faults);
    expect(deviceMessages().some((m) => m.startsWith('unknown-device'))).toBe(false);
    expect(deviceMessages().length).toBe(validMessages.telemetry + validMessages.events + summary.published.faults);
  });

  it('resumes where the previous run stopped, registering the world again without conflict', async () => {
    const first = simulator({ from, to: from + hour });
    await first.start();
    await first.done;
    await first.stop();
    // No explicit `from`: the saved state is later than now − backfill.
    const second = simulator({ to: from + 2 * hour, backfillMs: Date.now() - from + hour });
    await second.start();
    const summary = await second.done;
    expect(summary.groundTruth.fromMs).toBe(from + hour);
    const expected = generateTimeline(world, seed, from, from + 2 * hour).messages;
    await waitForMessages(expected.length);
    expect(deviceMessages()).toEqual(expected.map((m) => `${m.deviceId}|${m.channel}|${m.payload}`).sort());
    expect(api.requests.some((r) => r.status === 409)).toBe(false);
  });

  it('paces publishing by its speed and, when stopped early, accounts for exactly what it sent', async () => {
    const sim = simulator({ from, speed: 3600 }); // one simulated hour per real second, no end
    const started = Date.now();
    await sim.start();
    await settle(700); // long enough for an unpaced run to get far beyond the bound below
    await waitUntil(() => deviceMessages().length > 0);
    await sim.stop();
    const summary = await sim.done;
    const { fromMs, toMs, validMessages, faults } = summary.groundTruth;
    expect(fromMs).toBe(from);
    // At most the simulated time that elapsed (plus the last instant waited for), well short of the chunk.
    expect(toMs - from).toBeLessThanOrEqual((Date.now() - started) * 3600 + 60_000);
    expect(toMs - from).toBeGreaterThan(0);
    expect(summary.published).toEqual({ telemetry: validMessages.telemetry, events: validMessages.events, faults: faults.length });
    expect(summary.groundTruth).toEqual(generateTimeline(world, seed, from, toMs).groundTruth);
    await waitForMessages(validMessages.telemetry + validMessages.events + faults.length);
    expect(deviceMessages().length).toBe(validMessages.telemetry + validMessages.events + faults.length);
  });

  it('live, never shows or saves a simulated time ahead of the real clock', async () => {
    // A chunk ending just after the longest pause of the next minute: its last message is sent seconds
    // before the chunk's end, which the real clock has not reached then.
    const chunkMs = 10 * 60_000;
    const soon = Date.now() + 2000;
    const times = generateTimeline(world, seed, soon - chunkMs, soon + 60_000)
      .messages.map(sendTime)
      .filter((t) => t > soon);
    const pause = times
      .slice(1)
      .reduce((best, t, i) => (t - times[i]! > best.end - best.start ? { start: times[i]!, end: t } : best), { start: soon, end: soon });
    const chunkEnd = pause.end;
    const sim = simulator({ from: chunkEnd - chunkMs, chunkMs });
    await sim.start();
    const ahead: number[] = [];
    await waitUntil(() => {
      const reached = sim.progress()!.simulatedMs;
      if (reached > Date.now()) ahead.push(reached - Date.now());
      return reached >= chunkEnd;
    });
    await sim.stop();
    const saved = JSON.parse(await readFile(join(dataDir, 'sim', 'state.json'), 'utf8')) as { reachedMs: number };
    expect(ahead).toEqual([]);
    expect(saved.reachedMs).toBeLessThanOrEqual(Date.now());
  });

  it('fails to start, and rejects `done`, when the broker is unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const sim = simulator({ from, to: from + hour, mqttUrl: `mqtt://127.0.0.1:${port}` });
    await expect(sim.start()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(sim.done).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('stops promptly when the broker has gone away, counting the publishes it lost', async () => {
    const sim = simulator({ from, to: from + 24 * hour, closeTimeoutMs: 300 });
    await sim.start();
    await waitUntil(() => deviceMessages().length > 0);
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await settle(300); // publishing on into the closed connection
    const stopping = Date.now();
    await sim.stop();
    expect(Date.now() - stopping).toBeLessThan(30_000); // a broker that is gone never acks: without the close timeout, this waits forever
    const summary = await sim.done;
    const { validMessages, faults, toMs } = summary.groundTruth;
    expect(toMs).toBeLessThan(from + 24 * hour);
    expect(summary.failed).toBeGreaterThan(0);
    const sent = summary.published.telemetry + summary.published.events + summary.published.faults;
    expect(sent + summary.failed).toBe(validMessages.telemetry + validMessages.events + faults.filter((f) => !f.refusedAtConnect).length);
  });
});
