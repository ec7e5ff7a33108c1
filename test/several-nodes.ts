import { Writable } from 'node:stream';
import { errorCodes, ParcoursError, type Config } from '@parcours/contracts';
import { expect } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { freePort } from '../tools/services/index.js';
import { acceptsTcp } from '../tools/services/managed-process.js';
import { startApp } from './helpers.js';

/** A log destination that keeps what a node wrote, to wait for a line. */
export class LogTap extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Fixed free ports (instead of 0) for a node whose ports must be checked after it was refused or while it waits. */
export async function fixedPorts(): Promise<{ http: { port: number }; mqtt: { port: number } }> {
  return { http: { port: await freePort() }, mqtt: { port: await freePort() } };
}

/** Whether nothing accepts connections on the node's HTTP and MQTT ports. */
export async function nothingListens(config: Config): Promise<boolean> {
  return !(await acceptsTcp(config.http.port)) && !(await acceptsTcp(config.mqtt.port));
}

/**
 * Starts a node that must be refused: returns the refusal after checking its code and that it is one
 * line. A node that starts anyway is handed to `started` (to be stopped) and fails the test.
 */
export async function refusal(config: Config, started: (app: ParcoursApp) => void): Promise<ParcoursError> {
  let app: ParcoursApp | null = null;
  const error = await startApp(config).then(
    (running) => {
      app = running;
      return null;
    },
    (failure: unknown) => failure,
  );
  if (app) started(app);
  expect(error).toBeInstanceOf(ParcoursError);
  const refused = error as ParcoursError;
  expect(refused.code).toBe(errorCodes.anotherNode);
  expect(refused.message).not.toContain('\n');
  return refused;
}

/** Polls an asynchronous condition until it holds; fails after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
