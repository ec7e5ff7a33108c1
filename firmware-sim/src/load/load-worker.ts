import { readFileSync } from 'node:fs';
import { deviceTopic } from '@parcours/contracts';
import { connectAsync, type MqttClient } from 'mqtt';
import { LatencyHistogram } from './latency-histogram.js';
import { workerPlanSchema, type CoordinatorMessage, type LoadDevice, type WorkerMessage, type WorkerReport } from './load-plan.js';

/**
 * One process of a load run (its plan in the JSON file named by its first argument): connects its
 * devices, tells the coordinator, waits for `start` so that every process publishes at once, publishes
 * telemetry for the planned duration with at most `window` unacknowledged messages per device (MQTT.js
 * has no outbound window of its own), then reports over the IPC channel and exits.
 */
const plan = workerPlanSchema.parse(JSON.parse(readFileSync(process.argv[2]!, 'utf8')));
const send = (message: WorkerMessage) => process.send!(message);
const latency = new LatencyHistogram();
const counts = { sent: 0, acked: 0, failed: 0 };
let maxInFlight = 0;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function connectAll(): Promise<(MqttClient | null)[]> {
  const clients: (MqttClient | null)[] = new Array<MqttClient | null>(plan.devices.length).fill(null);
  let next = 0;
  let failed = 0;
  let error: string | null = null;
  const started = performance.now();
  const connectNext = async () => {
    while (next < plan.devices.length) {
      const i = next++;
      const device = plan.devices[i]!;
      try {
        clients[i] = await connectAsync(plan.url, {
          clientId: device.id,
          username: device.username,
          password: device.password,
          protocolVersion: 4,
          clean: true,
          // A load generator measures, it does not recover: a lost connection ends that device's run.
          reconnectPeriod: 0,
          connectTimeout: 60_000,
          // Thousands of idle connections must not spend the generator's CPU on PINGREQs.
          keepalive: 300,
        });
        clients[i]!.on('error', () => undefined);
      } catch (cause) {
        failed++;
        error ??= (cause as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: plan.connectConcurrency }, connectNext));
  send({ type: 'connected', connected: plan.devices.length - failed, failed, elapsedMs: performance.now() - started, error });
  return clients;
}

/** Publishes for one device until the deadline, then waits for its acks until `ackDeadline`. */
async function drive(client: MqttClient, device: LoadDevice, deadline: number, ackDeadline: number): Promise<void> {
  const topic = deviceTopic(plan.baseTopic, device.id, 'telemetry');
  const interval = plan.ratePerDevice > 0 ? 1000 / plan.ratePerDevice : 0;
  let inFlight = 0;
  // One waiter and one timer per phase: a timer or a race per wait would pile up (tens of thousands a second).
  let room: (() => void) | null = null;
  let expired = false;
  const wake = () => {
    const resolve = room;
    room = null;
    resolve?.();
  };
  const expireAt = (at: number) => {
    expired = false;
    return setTimeout(() => {
      expired = true;
      wake();
    }, at - performance.now());
  };
  const waitForRoom = () => new Promise<void>((resolve) => (room = resolve));
  let timer = expireAt(deadline);
  let next = performance.now();
  let seq = plan.firstSeq;
  while (!expired && client.connected) {
    if (inFlight >= plan.window) {
      await waitForRoom();
      continue;
    }
    if (interval > 0) {
      next += interval;
      await sleep(next - performance.now());
      if (expired) break;
    }
    seq++;
    const sentAt = performance.now();
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    counts.sent++;
    const payload = JSON.stringify({ ts: Date.now(), seq, metrics: { power_w: seq % 1000 } });
    client
      .publishAsync(topic, payload, { qos: plan.qos })
      .then(
        () => {
          counts.acked++;
          latency.record(performance.now() - sentAt);
        },
        () => counts.failed++,
      )
      .finally(() => {
        inFlight--;
        wake();
      });
  }
  clearTimeout(timer);
  timer = expireAt(ackDeadline);
  while (inFlight > 0 && !expired) await waitForRoom();
  clearTimeout(timer);
}

async function main(): Promise<void> {
  const clients = await connectAll();
  const command = await new Promise<CoordinatorMessage>((resolve) => process.once('message', resolve));
  const started = performance.now();
  if (command.type === 'start' && plan.durationMs > 0) {
    const progress = setInterval(() => send({ type: 'progress', ...counts }), plan.progressMs);
    const deadline = started + plan.durationMs;
    await Promise.all(clients.map((client, i) => (client ? drive(client, plan.devices[i]!, deadline, deadline + plan.ackTimeoutMs) : undefined)));
    clearInterval(progress);
  }
  const report: WorkerReport = {
    ...counts,
    unacked: counts.sent - counts.acked - counts.failed,
    elapsedMs: performance.now() - started,
    latency: latency.toJSON(),
    maxInFlight,
  };
  send({ type: 'report', ...report });
  // Forced: a broker that stopped answering must not keep the process waiting for DISCONNECT to flush.
  await Promise.all(clients.map((client) => client?.endAsync(true)));
  process.disconnect();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
