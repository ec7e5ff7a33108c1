import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorCodes, ParcoursError } from '@parcours/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { PartStartError } from '../src/lifecycle/parts.js';
import { acceptsTcp as accepts, freePort } from '../tools/services/index.js';
import { api, startApp, testConfig } from './helpers.js';

const bin = fileURLToPath(new URL('../bin/parcours.js', import.meta.url));
let blockers: Server[] = [];
let apps: ParcoursApp[] = [];

afterEach(async () => {
  await Promise.all(apps.map((app) => app.stop()));
  await Promise.all(blockers.map((server) => new Promise((resolve) => server.close(resolve))));
  apps = [];
  blockers = [];
});

/** Something else listening on a port, as when another program already uses it. */
async function takePort(): Promise<number> {
  const port = await freePort();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  blockers.push(server);
  return port;
}

/** `parcours start` as a user runs it, until it exits by itself. */
function parcoursStart(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parcours-lifecycle-'));
    const child = spawn('node', [bin, 'start'], {
      env: {
        ...process.env,
        PARCOURS_DATA_DIR: dataDir,
        PARCOURS_SIM_SCENARIO: 'none',
        PARCOURS_LOG_LEVEL: 'silent',
        PARCOURS_HTTP_HOST: '127.0.0.1',
        PARCOURS_MQTT_HOST: '127.0.0.1',
        ...env,
      },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('start-up that cannot complete', () => {
  it('names a taken HTTP port, and leaves nothing it started running (the MQTT listener is closed again)', async () => {
    const [httpPort, mqttPort] = [await takePort(), await freePort()];
    const failure = await startApp(testConfig({ http: { port: httpPort }, mqtt: { port: mqttPort } })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PartStartError);
    const cause = (failure as PartStartError).cause;
    expect(cause).toBeInstanceOf(ParcoursError);
    expect(cause).toMatchObject({ code: errorCodes.portInUse });
    expect((cause as Error).message).toContain(`port ${httpPort} (HTTP API) is already in use`);
    expect((cause as Error).message).toContain('PARCOURS_HTTP_PORT');
    expect(await accepts(mqttPort)).toBe(false);
  });

  it('`parcours start` with the MQTT port taken says so in one line, and exits non-zero by itself', async () => {
    const [httpPort, mqttPort] = [await freePort(), await takePort()];
    const { code, stderr } = await parcoursStart({ PARCOURS_HTTP_PORT: String(httpPort), PARCOURS_MQTT_PORT: String(mqttPort) });
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n')).toEqual([
      `parcours: broker: port ${mqttPort} (MQTT) is already in use on 127.0.0.1: stop what listens there, or choose another with PARCOURS_MQTT_PORT (mqtt.port) (${errorCodes.portInUse})`,
    ]);
    expect(await accepts(httpPort)).toBe(false);
  });

  it('`parcours start` with the HTTP port taken says so in one line, and exits non-zero by itself', async () => {
    const [httpPort, mqttPort] = [await takePort(), await freePort()];
    const { code, stderr } = await parcoursStart({ PARCOURS_HTTP_PORT: String(httpPort), PARCOURS_MQTT_PORT: String(mqttPort) });
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(`parcours: http: port ${httpPort} (HTTP API) is already in use`);
    expect(await accepts(mqttPort)).toBe(false);
  });
});

describe('/healthz', () => {
  it("reports each part's real state: the store takes writes, the broker listens, each log reader's lag", async () => {
    const app = await startApp(testConfig());
    apps.push(app);
    const { status, body } = await api<{ status: string; parts: Record<string, Record<string, unknown>> }>(app.urls.http, 'GET', '/healthz', undefined, null);
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.parts).toMatchObject({
      gateway: { ok: true },
      broker: { ok: true, listening: { tcp: app.broker.port } },
      'prompt-delivery': { ok: true },
      'survey-triggers': { ok: true },
      analytics: { ok: true, lag: 0 },
      'survey-replies': { ok: true, lag: 0 },
      http: { ok: true },
    });
    expect(Object.keys(body.parts)).toEqual(['gateway', 'broker', 'prompt-delivery', 'survey-triggers', 'analytics', 'survey-replies', 'http']);
  });

  it('answers 503 "degraded" with the failing part when the store no longer takes writes', async () => {
    const app = await startApp(testConfig());
    apps.push(app);
    // A store that refuses writes, as on a full disk or a folder turned read-only.
    app.gateway.db.exec("CREATE TRIGGER refuse_probe BEFORE UPDATE ON store_probe BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    app.gateway.db.exec('INSERT OR IGNORE INTO store_probe (id, at) VALUES (1, 0)');
    const { status, body } = await api<{ status: string; parts: Record<string, { ok: boolean }> }>(app.urls.http, 'GET', '/healthz', undefined, null);
    expect(status).toBe(503);
    expect(body.status).toBe('degraded');
    expect(body.parts.gateway).toEqual({ ok: false });
    expect(body.parts.broker?.ok).toBe(true);
  });
});
