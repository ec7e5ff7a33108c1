import mqtt, { type MqttClient } from 'mqtt';

/**
 * One load-generating process of `npm run bench`: its devices publish QoS 1 telemetry, each keeping at
 * most `window` messages in flight (MQTT.js has no outbound window of its own), at a paced rate or as fast
 * as acknowledgements allow, and it reports on stdout how many were acked and each publish→ack latency.
 */
export interface WorkerPlan {
  url: string;
  devices: { id: string; username?: string; password?: string }[];
  /** Messages per second for all of this worker's devices together; 0 is as fast as possible. */
  rate: number;
  durationMs: number;
  window: number;
  /** First seq: runs against one store must not reuse (device, seq) pairs, which would be duplicates. */
  firstSeq: number;
}

export interface WorkerReport {
  acked: number;
  failed: number;
  elapsedMs: number;
  latenciesMs: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function drive(client: MqttClient, deviceId: string, plan: WorkerPlan, report: WorkerReport, deadline: number): Promise<void> {
  const perDevice = plan.rate / plan.devices.length;
  const interval = perDevice > 0 ? 1000 / perDevice : 0;
  let next = performance.now();
  let seq = plan.firstSeq;
  const inFlight = new Set<Promise<void>>();
  while (performance.now() < deadline) {
    if (inFlight.size >= plan.window) await Promise.race(inFlight);
    if (interval > 0) {
      next += interval;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
    }
    seq += 1;
    const sent = performance.now();
    const payload = JSON.stringify({ ts: Date.now(), seq, metrics: { power_w: seq % 1000 } });
    const publish: Promise<void> = client.publishAsync(`parcours/devices/${deviceId}/telemetry`, payload, { qos: 1 }).then(
      () => {
        report.acked += 1;
        report.latenciesMs.push(Math.round((performance.now() - sent) * 100) / 100);
      },
      () => {
        report.failed += 1;
      },
    ).finally(() => inFlight.delete(publish));
    inFlight.add(publish);
  }
  await Promise.all(inFlight);
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2]!) as WorkerPlan;
  const clients = await Promise.all(
    plan.devices.map((d) => mqtt.connectAsync(plan.url, { clientId: `${d.id}-bench`, username: d.username, password: d.password, reconnectPeriod: 0 })),
  );
  const report: WorkerReport = { acked: 0, failed: 0, elapsedMs: 0, latenciesMs: [] };
  const started = performance.now();
  const deadline = started + plan.durationMs;
  await Promise.all(clients.map((client, i) => drive(client, plan.devices[i]!.id, plan, report, deadline)));
  report.elapsedMs = performance.now() - started;
  await Promise.all(clients.map((client) => client.endAsync()));
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
