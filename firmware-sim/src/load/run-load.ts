import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorCodes, ParcoursError } from '@parcours/contracts';
import { pino, type Logger } from 'pino';
import { z } from 'zod';
import { loadDevices } from './load-devices.js';
import { loadPlanSchema, type LoadPlanInput, type WorkerCounts, type WorkerMessage, type WorkerPlan, type WorkerReport } from './load-plan.js';
import { aggregateReports, sumCounts, type ConnectPhase, type LoadReport } from './load-report.js';

export interface LoadHooks {
  logger?: Logger;
  /** Every device that could connect is connected and none publishes yet (e.g. to measure the broker's memory). */
  onConnected?: (phase: ConnectPhase) => Promise<void> | void;
  /** Counters over all processes, about once a second while publishing. */
  onProgress?: (counts: WorkerCounts) => void;
}

// Tests run this module from its TypeScript source; a child process needs the compiled worker (`tsc -b`).
const here = fileURLToPath(import.meta.url);
const workerPath = here.endsWith('.ts')
  ? here.replace(/[\\/]src[\\/]load[\\/]run-load\.ts$/, '/dist/load/load-worker.js')
  : join(dirname(here), 'load-worker.js');

/** Resolves with the next message of `type` from the worker; rejects if it exits first. */
function nextMessage<T extends WorkerMessage['type']>(child: ChildProcess, type: T): Promise<Extract<WorkerMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: WorkerMessage) => {
      if (message.type !== type) return;
      child.off('message', onMessage).off('close', onClose);
      resolve(message as Extract<WorkerMessage, { type: T }>);
    };
    // 'close', not 'exit': it comes once the IPC channel is read to its end, so after the worker's last
    // message (on a busy machine 'exit' may come before it).
    const onClose = (code: number | null) => {
      child.off('message', onMessage);
      reject(new ParcoursError(errorCodes.internal, `a load worker exited with ${code} before its ${type} message`));
    };
    child.on('message', onMessage).once('close', onClose);
  });
}

/**
 * Runs a load plan: registers or lists its devices, spreads them over `processes` worker processes
 * (one Node process saturates one core long before a broker does), starts them together and aggregates
 * their reports. Rejects when no device could connect at all.
 */
export async function runLoad(input: LoadPlanInput, hooks: LoadHooks = {}): Promise<LoadReport> {
  const parsed = loadPlanSchema.safeParse(input);
  if (!parsed.success) throw new ParcoursError(errorCodes.config, `invalid load plan:\n${z.prettifyError(parsed.error)}`);
  const plan = parsed.data;
  const logger = hooks.logger ?? pino({ level: 'silent' });
  const devices = await loadDevices(plan.devices, plan.credentials, logger);
  const ratePerDevice = 'perDevice' in plan.rate ? plan.rate.perDevice : plan.rate.total / devices.length;
  const processes = Math.min(plan.processes, devices.length);
  const planDir = await mkdtemp(join(tmpdir(), 'parcours-load-'));
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < processes; i++) {
      const share: WorkerPlan = {
        url: plan.url,
        baseTopic: plan.baseTopic,
        devices: devices.filter((_, j) => j % processes === i),
        ratePerDevice,
        qos: plan.qos,
        window: plan.window,
        durationMs: plan.duration,
        connectConcurrency: plan.connectConcurrency,
        ackTimeoutMs: plan.ackTimeout,
        firstSeq: plan.firstSeq ?? Date.now() * 1000,
      };
      const file = join(planDir, `worker-${i}.json`);
      await writeFile(file, JSON.stringify(share), { mode: 0o600 });
      // No execArgv: the parent's (a test runner's loaders, say) do not apply to the compiled worker.
      children.push(fork(workerPath, [file], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    }
    const connects = await Promise.all(children.map((child) => nextMessage(child, 'connected')));
    const connected = connects.reduce((sum, c) => sum + c.connected, 0);
    if (connected === 0) {
      throw new ParcoursError(errorCodes.internal, `no device could connect to ${plan.url}: ${connects.find((c) => c.error)?.error ?? 'unknown error'}`);
    }
    const failure = connects.find((c) => c.failed > 0);
    if (failure) logger.warn({ failed: connects.reduce((sum, c) => sum + c.failed, 0), err: failure.error }, 'some load devices could not connect');
    await hooks.onConnected?.({ connected, failed: connects.reduce((sum, c) => sum + c.failed, 0), elapsedMs: Math.max(...connects.map((c) => c.elapsedMs)) });
    const latest = new Map<ChildProcess, WorkerCounts>();
    for (const child of children) {
      child.on('message', (message: WorkerMessage) => {
        if (message.type !== 'progress') return;
        latest.set(child, message);
        hooks.onProgress?.(sumCounts([...latest.values()]));
      });
    }
    const reports: Promise<WorkerReport>[] = children.map((child) => nextMessage(child, 'report'));
    for (const child of children) child.send({ type: 'start' });
    const done = await Promise.all(reports);
    const targetRate = ratePerDevice > 0 ? ratePerDevice * devices.length : null;
    return aggregateReports({ devices: devices.length, window: plan.window, targetRate }, connects, done);
  } finally {
    await Promise.all(children.map(stopWorker));
    await rm(planDir, { recursive: true, force: true });
  }
}

/** Waits for a worker to leave after its report; ends it when it was left waiting (an earlier failure). */
async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  // The worker may be leaving already: a failed send only means it no longer needs telling.
  if (child.connected) child.send({ type: 'stop' }, () => undefined);
  await exited;
  clearTimeout(timer);
}
