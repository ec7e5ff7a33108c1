import { join } from 'node:path';
import { deviceTopic, errorCodes, ParcoursError } from '@parcours/contracts';
import type { Logger } from 'pino';
import { z } from 'zod';
import { SimClock, sleep } from './clock.js';
import { DeviceClient, isConnectRefused, type DeviceAuth } from './device-client.js';
import { forEachLimited } from './limit.js';
import { registerWorld } from './registrar.js';
import { refuseRunningWorld } from './running-world.js';
import type { World } from './scenario/schema.js';
import { readSimState, resumeFrom, writeSimState } from './sim-state.js';
import { ClockFaultVerdicts } from './timeline/clock-fault-verdicts.js';
import { unknownDeviceIds } from './timeline/faults.js';
import { generateTimeline, type Timeline } from './timeline/generate-timeline.js';
import { mergeGroundTruth, writeGroundTruth, type GroundTruth } from './timeline/ground-truth.js';
import { PlanBook } from './timeline/plans.js';
import { hourMs } from './timeline/time.js';
import { sendTime, type ConnectivityChange, type TimelineMessage } from './timeline/types.js';

const simulatorOptionsSchema = z
  .strictObject({
    scenario: z.custom<World>((v) => typeof v === 'object' && v !== null, 'a world from loadScenario()'),
    seed: z.number().int(),
    from: z.number().int().nonnegative().optional().describe('simulated start, ms; default: resume from the saved state'),
    to: z.number().int().nonnegative().optional().describe('simulated end, ms; without it the clock catches up and runs on'),
    speed: z.union([z.number().positive(), z.literal('max')]),
    backfillMs: z
      .number()
      .int()
      .nonnegative()
      .default(6 * hourMs)
      .describe('first run without `from`: start this long before now'),
    mqttUrl: z.string().min(1),
    apiUrl: z.url(),
    apiKey: z.string().min(1).describe('an admin API key of the Parcours API'),
    baseTopic: z.string().min(1),
    dataDir: z.string().min(1),
    qos: z.union([z.literal(0), z.literal(1)]).describe('QoS of telemetry; events always use 1'),
    logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null, 'a pino logger'),
    clockRules: z
      .object({ maxClockSkewMs: z.number().int().nonnegative(), maxLatenessMs: z.number().int().nonnegative() })
      .describe("the gateway's device-time settings: the ground truth says what it does with each wrong clock"),
    refuseRunningWorld: z
      .boolean()
      .default(true)
      .describe('refuse a world some of whose devices are online: another simulator runs it (PARCOURS_E_WORLD_RUNNING)'),
    unknownDeviceAuth: z
      .object({ username: z.string(), password: z.string().optional() })
      .nullable()
      .describe('credentials of unknown-device faults; null connects them anonymously'),
    maxInFlightPerDevice: z.number().int().positive().default(16),
    connectConcurrency: z.number().int().positive().default(100).describe('devices connecting at once'),
    chunkMs: z.number().int().positive().default(hourMs).describe('simulated time generated at once'),
    closeTimeoutMs: z.number().int().positive().default(5000).describe('longest wait for acks when stopping'),
    afterChunk: z
      .custom<(reachedMs: number) => Promise<void>>((v) => typeof v === 'function', 'a function')
      .optional()
      .describe('awaited after each chunk once its publishes are acknowledged, with the instant reached: a replay that lets Parcours catch up'),
  })
  .refine((o) => o.from === undefined || o.to === undefined || o.from <= o.to, { path: ['to'], message: 'must not be before `from`' });

export type SimulatorOptions = z.input<typeof simulatorOptionsSchema>;

/** Where a run is, for a progress display: polled, so the simulator pays nothing when nobody looks. */
export interface SimulationProgress {
  fromMs: number;
  toMs: number | null;
  /** The simulated instant reached (every message before it has been handed to its device). */
  simulatedMs: number;
  sent: number;
  acked: number;
  failed: number;
  /** Faulty messages acknowledged: the faults actually injected. */
  faults: number;
}

export interface SimulationSummary {
  published: { telemetry: number; events: number; faults: number };
  /** Publishes never acknowledged (the connection closed first): in the ground truth, maybe not at the broker. */
  failed: number;
  groundTruth: GroundTruth;
  groundTruthPath: string;
}

/**
 * The end of what was sent when the next message is due at `limit`: past the last instant sent, up to the
 * simulated now (which the real clock has reached), never beyond `limit`.
 */
function reachedAt(clock: SimClock, lastSent: number, limit: number): number {
  return Math.min(limit, Math.max(lastSent + 1, Math.floor(clock.simulatedNow())));
}

/**
 * Runs a world's devices against a broker: registers them through the API, connects one MQTT client per
 * device, and publishes the timeline as the simulated clock reaches each message.
 */
export class Simulator {
  readonly done: Promise<SimulationSummary>;
  private readonly options: Readonly<z.output<typeof simulatorOptionsSchema>>;
  private readonly abort = new AbortController();
  private readonly clients = new Map<string, DeviceClient>();
  private readonly refusedIds = new Set<string>();
  private readonly clockFaults: ClockFaultVerdicts;
  private readonly published = { telemetry: 0, events: 0, faults: 0 };
  private failed = 0;
  private sent = 0;
  private range: { fromMs: number; simulatedMs: number } | null = null;
  private resolveDone!: (summary: SimulationSummary) => void;
  private rejectDone!: (error: unknown) => void;
  private starting: Promise<void> | null = null;
  private running: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;

  constructor(options: SimulatorOptions) {
    const parsed = simulatorOptionsSchema.safeParse(options);
    if (!parsed.success) throw new ParcoursError(errorCodes.config, `invalid simulator options:\n${z.prettifyError(parsed.error)}`);
    this.options = Object.freeze(parsed.data);
    this.clockFaults = new ClockFaultVerdicts(this.options.clockRules);
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Callers that never await `done` must not see an unhandled rejection.
    this.done.catch(() => undefined);
  }

  private get simDir(): string {
    return join(this.options.dataDir, 'sim');
  }

  /** Registers the world, connects every device and starts publishing; resolves once publishing has begun. */
  start(): Promise<void> {
    this.starting ??= this.startOnce().catch((error: unknown) => {
      this.rejectDone(error);
      throw error;
    });
    return this.starting;
  }

  private async startOnce(): Promise<void> {
    const { scenario, from, to, speed, backfillMs, logger } = this.options;
    const statePath = join(this.simDir, 'state.json');
    const fromMs = resumeFrom({ fromMs: from, nowMs: Date.now(), backfillMs, state: await readSimState(statePath) });
    // Visitors are generated at a rate: register those of the run (a run without an end: of its first week).
    if (this.options.refuseRunningWorld) await refuseRunningWorld(scenario, this.options);
    const stays = new PlanBook(scenario, this.options.seed).staysBetween(fromMs, to ?? fromMs + 7 * 24 * hourMs);
    const credentials = await registerWorld(scenario, { apiUrl: this.options.apiUrl, apiKey: this.options.apiKey, logger }, stays);
    // Connect at most `connectConcurrency` devices at once: thousands of simultaneous CONNECTs time out.
    const devices = scenario.devices.map((device) => ({ device, secret: credentials.get(device.id) }));
    const results: PromiseSettledResult<void>[] = [];
    await forEachLimited(devices, this.options.connectConcurrency, async ({ device, secret }) => {
      const attempt = secret
        ? this.connect(device.id, { username: secret.username, password: secret.secret }, true)
        : Promise.reject(new Error(`no credentials for ${device.id}`));
      results.push(...(await Promise.allSettled([attempt])));
    });
    if (scenario.faults.unknownDevicePerDay > 0) results.push(...(await Promise.allSettled(unknownDeviceIds(scenario).map((id) => this.connectImpostor(id)))));
    // Every attempt has settled before giving up, so that no connection opens after the others are closed.
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) {
      await this.closeClients();
      throw failure.reason;
    }
    logger.info(
      {
        scenario: scenario.name,
        devices: scenario.devices.length,
        from: new Date(fromMs).toISOString(),
        to: to === undefined ? null : new Date(to).toISOString(),
        speed,
      },
      'simulation started',
    );
    this.range = { fromMs, simulatedMs: fromMs };
    const clock = new SimClock({ fromMs, speed });
    clock.start();
    this.running = this.run(clock, fromMs, statePath).then(this.resolveDone, (error: unknown) => {
      logger.error({ err: error }, 'simulation failed');
      this.rejectDone(error);
    });
  }

  private async connect(deviceId: string, auth: DeviceAuth | null, real: boolean): Promise<void> {
    const client = new DeviceClient({
      deviceId,
      mqttUrl: this.options.mqttUrl,
      baseTopic: this.options.baseTopic,
      auth,
      maxInFlight: this.options.maxInFlightPerDevice,
      announceStatus: real,
      reconnect: real,
      logger: this.options.logger,
    });
    await client.connect();
    this.clients.set(deviceId, client);
  }

  /** An unknown device may be refused by the broker: then its faults are recorded as refused, not published. */
  private async connectImpostor(deviceId: string): Promise<void> {
    try {
      await this.connect(deviceId, this.options.unknownDeviceAuth, false);
    } catch (error) {
      if (!isConnectRefused(error)) throw error;
      this.refusedIds.add(deviceId);
      this.options.logger.warn({ deviceId, returnCode: error.code }, 'broker refused the unknown device: its faults are recorded as refused at connect');
    }
  }

  /** Publishes chunk after chunk until `to` or stop(); then saves the state and the ground truth. */
  private async run(clock: SimClock, fromMs: number, statePath: string): Promise<SimulationSummary> {
    const { scenario, seed, to, chunkMs, logger } = this.options;
    let truth: GroundTruth | null = null;
    let cursor = fromMs;
    while (!this.abort.signal.aborted && (to === undefined || cursor < to)) {
      const chunkEnd = Math.min(cursor + chunkMs, to ?? Infinity);
      const timeline = generateTimeline(scenario, seed, cursor, chunkEnd);
      const reached = await this.publishChunk(clock, timeline, chunkEnd);
      // A chunk cut short by stop() counts only what was sent: the window [cursor, reached) is recomputed.
      const chunkTruth = reached === chunkEnd ? timeline.groundTruth : generateTimeline(scenario, seed, cursor, reached).groundTruth;
      truth = truth === null ? chunkTruth : mergeGroundTruth(truth, chunkTruth);
      logger.debug({ from: cursor, to: reached, messages: timeline.messages.length }, 'chunk published');
      cursor = reached;
      await writeSimState(statePath, { reachedMs: cursor });
      if (this.options.afterChunk && !this.abort.signal.aborted) {
        await this.flushClients();
        await this.options.afterChunk(cursor);
      }
    }
    await this.flushClients();
    // After stop(), disconnect before counting: publishes still unacknowledged are then settled as failed.
    if (this.abort.signal.aborted) await this.closeClients();
    const groundTruth = this.clockFaults.apply(this.markRefused(truth ?? generateTimeline(scenario, seed, cursor, cursor).groundTruth));
    const groundTruthPath = await writeGroundTruth(this.simDir, groundTruth);
    await writeSimState(statePath, { reachedMs: cursor });
    const summary = { published: { ...this.published }, failed: this.failed, groundTruth, groundTruthPath };
    logger.info({ published: summary.published, failed: summary.failed, groundTruthPath, reached: new Date(cursor).toISOString() }, 'simulation ended');
    return summary;
  }

  /**
   * Returns the instant before which every message was handed to its client: chunkEnd, or less after stop().
   * Disconnects and reconnects run in time order with the publishes, a reconnect before the burst it allows.
   */
  private async publishChunk(clock: SimClock, timeline: Timeline, chunkEnd: number): Promise<number> {
    const signal = this.abort.signal;
    const changes = timeline.connectivity;
    let next = 0;
    const changeUntil = async (ms: number) => {
      for (; next < changes.length && changes[next]!.at <= ms && !signal.aborted; next++) await this.change(clock, changes[next]!);
    };
    let instant = -1;
    for (const message of timeline.messages) {
      const at = sendTime(message);
      // Stop only between instants, so that [start, returned instant) holds what was sent; a stop during an
      // offline period is the exception: the truth counts the buffered messages that were never replayed.
      if (at !== instant) {
        await changeUntil(at);
        await sleep(clock.delayUntil(at), signal);
        if (signal.aborted) return reachedAt(clock, instant, at);
        instant = at;
        if (this.range) this.range.simulatedMs = instant;
      }
      await this.publish(message);
    }
    await changeUntil(Infinity);
    // The chunk is over only when the clock reaches its end: a state or progress saying otherwise would be
    // in the future, and a restart would resume there.
    await sleep(clock.delayUntil(chunkEnd), signal);
    const reached = reachedAt(clock, instant, chunkEnd);
    if (this.range) this.range.simulatedMs = reached;
    return reached;
  }

  private async change(clock: SimClock, change: ConnectivityChange): Promise<void> {
    await sleep(clock.delayUntil(change.at), this.abort.signal);
    await this.clients.get(change.deviceId)?.setOnline(change.online);
  }

  private async publish(message: TimelineMessage): Promise<void> {
    const client = this.clients.get(message.publisher ?? message.deviceId);
    if (!client) return; // an unknown device the broker refused
    this.sent++;
    this.clockFaults.published(message);
    const qos = message.channel === 'events' ? 1 : this.options.qos;
    const topic = deviceTopic(this.options.baseTopic, message.deviceId, message.channel);
    if (message.publisher !== undefined) {
      await client.publishForbidden(topic, message.payload, this.options.closeTimeoutMs);
      return this.settled(message, null);
    }
    if (message.redelivery) {
      // The device never saw the PUBACK: it reconnects and resends the same packet, flagged DUP.
      await client.setOnline(false);
      await client.setOnline(true);
    }
    await client.publish(topic, message.payload, message.redelivery ? 1 : qos, (error) => this.settled(message, error), message.redelivery === true);
  }

  private settled(message: TimelineMessage, error: Error | null): void {
    if (error) {
      // When the broker goes away, every in-flight publish fails at once: warn once, count the rest.
      this.failed++;
      const log = this.options.logger;
      (this.failed === 1 ? log.warn : log.debug).call(log, { deviceId: message.deviceId, seq: message.seq, err: error }, 'publish lost');
    } else if (message.fault) this.published.faults++;
    else if (message.channel === 'telemetry') this.published.telemetry++;
    else this.published.events++;
  }

  private markRefused(truth: GroundTruth): GroundTruth {
    return { ...truth, faults: truth.faults.map((f) => ({ ...f, refusedAtConnect: this.refusedIds.has(f.deviceId) })) };
  }

  /** Waits for every ack; after stop(), at most closeTimeoutMs (a broker that is gone never acks). */
  private async flushClients(): Promise<void> {
    const flushed = Promise.all([...this.clients.values()].map((c) => c.flush()));
    const signal = this.abort.signal;
    if (!signal.aborted) {
      let onAbort: () => void = () => undefined;
      const aborted = new Promise<void>((resolve) => {
        onAbort = resolve;
        signal.addEventListener('abort', onAbort, { once: true });
      });
      await Promise.race([flushed, aborted]);
      // A replay flushes after every chunk (`afterChunk`): the listeners must not pile up.
      signal.removeEventListener('abort', onAbort);
    }
    if (this.abort.signal.aborted) await Promise.race([flushed, new Promise((resolve) => setTimeout(resolve, this.options.closeTimeoutMs).unref())]);
  }

  private async closeClients(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((c) => c.close(this.options.closeTimeoutMs)));
  }

  /** Counters so far; null until the devices are connected and the clock runs. */
  progress(): SimulationProgress | null {
    if (!this.range) return null;
    const { telemetry, events, faults } = this.published;
    return { ...this.range, toMs: this.options.to ?? null, sent: this.sent, acked: telemetry + events + faults, failed: this.failed, faults };
  }

  /** Stops publishing, waits for the run to save its state and ground truth, and disconnects every device. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort();
      for (const client of this.clients.values()) client.cancelWaits();
      if (!this.starting) this.rejectDone(new Error('the simulator was stopped before it started'));
      await this.starting?.catch(() => undefined);
      await this.running;
      await this.closeClients();
    })();
    return this.stopping;
  }
}
