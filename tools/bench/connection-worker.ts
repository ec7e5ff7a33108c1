import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import type { WorkerPlan } from './load-worker.js';

/**
 * One process of the connection-scale run (its plan in the JSON file named by its argument, too big for
 * a command line): connects its devices (at most `concurrency` CONNECTs pending),
 * prints how many connected and how long it took, keeps them connected until its stdin closes, then leaves.
 */
export interface ConnectionPlan {
  url: string;
  devices: WorkerPlan['devices'];
  concurrency: number;
}

export interface ConnectionReport {
  connected: number;
  failed: number;
  elapsedMs: number;
}

const plan = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as ConnectionPlan;
const clients: MqttClient[] = [];
const report: ConnectionReport = { connected: 0, failed: 0, elapsedMs: 0 };
const started = performance.now();
let next = 0;

async function connectNext(): Promise<void> {
  while (next < plan.devices.length) {
    const device = plan.devices[next++]!;
    try {
      const client = await mqtt.connectAsync(plan.url, {
        clientId: device.id, username: device.username, password: device.password, reconnectPeriod: 0, connectTimeout: 60_000, keepalive: 300,
      });
      clients.push(client);
      report.connected += 1;
    } catch {
      report.failed += 1;
    }
  }
}

await Promise.all(Array.from({ length: plan.concurrency }, connectNext));
report.elapsedMs = performance.now() - started;
process.stdout.write(`${JSON.stringify(report)}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  for (const client of clients) client.end(true);
  process.exit(0);
});
