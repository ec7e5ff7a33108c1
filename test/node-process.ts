import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../tools/services/index.js';

const bin = fileURLToPath(new URL('../bin/parcours.js', import.meta.url));

export interface NodeProcess {
  http: string;
  pid: number;
  /** SIGKILL: the node gets no chance to release anything. */
  kill(): Promise<void>;
}

/** The environment of a test's `parcours start`: loopback ports, no fleet, fixed dates accepted; `env` wins. */
export function nodeEnv(ports: { http: number; mqtt: number }, env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PARCOURS_HTTP_HOST: '127.0.0.1',
    PARCOURS_HTTP_PORT: String(ports.http),
    PARCOURS_MQTT_HOST: '127.0.0.1',
    PARCOURS_MQTT_PORT: String(ports.mqtt),
    PARCOURS_SIM_SCENARIO: 'none',
    PARCOURS_LOG_LEVEL: 'warn',
    PARCOURS_GATEWAY_MAX_CLOCK_SKEW: '3650d',
    PARCOURS_GATEWAY_MAX_LATENESS: '3650d',
    ...env,
  };
}

/** `parcours start` as its own process (the compiled CLI), on free ports, once its HTTP API answers. */
export async function startNodeProcess(env: Record<string, string>): Promise<NodeProcess> {
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  const child = spawn('node', [bin, 'start'], { env: nodeEnv({ http: httpPort, mqtt: mqttPort }, env), stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const http = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 120_000; // a busy machine starts a process slowly
  while (
    !(await fetch(`${http}/healthz`)
      .then((response) => response.ok)
      .catch(() => false))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`parcours start did not answer on ${http} (exit code ${child.exitCode})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    http,
    pid: child.pid!,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
