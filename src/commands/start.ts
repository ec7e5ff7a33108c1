import type { Config } from '@parcours/contracts';
import { loadScenario } from '@parcours/firmware-sim';
import { ParcoursApp } from '../app.js';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import { simulatedDeviceLines } from '../simulated-log-lines.js';
import { shutdownOnSignal } from './shutdown.js';
import { fleetDeviceIds, startFleet } from './fleet.js';

function banner(config: Readonly<Config>, app: ParcoursApp, simulating: boolean): string {
  const { http, mqtt } = app.urls;
  return [
    '',
    'Parcours is running.',
    `  HTTP API     ${http}/api/v1   (OpenAPI: ${http}/openapi.json, docs: ${http}/docs)`,
    `  Web page     ${http}/ui/   (the fleet live, a subject's day, paths; asks for a key)`,
    `  Health       ${http}/healthz   Metrics: ${http}/metrics`,
    `  MQTT broker  ${mqtt}   (topics under ${config.mqtt.baseTopic}/devices/{id}/…)`,
    `  Data         ${config.data.dir}`,
    `  InfluxDB     ${config.influx.url || 'not configured (set INFLUX_URL)'}`,
    `  Fleet        ${simulating ? `scenario "${config.sim.scenario}", catching up with now at ${config.sim.speed === 'max' ? 'full speed' : `${config.sim.speed}x`}, then live` : 'none'}`,
    ...(app.initialAdminKey
      ? [`  Admin key    ${app.initialAdminKey}`, '               (shown once: keep it; more with `parcours keys create`)']
      : ['  API keys     `parcours keys create --role admin|reader|integrator`']),
    `  Try          curl -H "Authorization: Bearer <key>" '${http}/api/v1/subjects?limit=5'`,
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}

export async function runStartCommand(options: { config?: string }): Promise<void> {
  const config = loadConfig({ file: options.config });
  const world = config.sim.scenario === 'none' ? null : await loadScenario(config.sim.scenario);
  const logger = createLogger(config.log, world ? simulatedDeviceLines(fleetDeviceIds(world), config.mqtt.baseTopic) : undefined);
  // From here on, Ctrl-C stops cleanly whatever has started, once start-up is over.
  const shutdown = shutdownOnSignal(logger);
  let fleet: Awaited<ReturnType<typeof startFleet>> | null = null;
  // A node whose ingest lease another took has stopped: it exits non-zero, for its supervisor to see.
  const app = await ParcoursApp.open(config, logger, (reason) => {
    logger.error({ reason }, 'lost the ingest lease: stopped');
    void (fleet?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
  });
  await app.start();
  // The simulated fleet is the last part: if it cannot start, nothing else is left running either.
  fleet =
    world === null
      ? null
      : await startFleet(config, world, app.urls, app.fleetApiKey(), logger).catch(async (error: unknown) => {
          await app.stop();
          throw error;
        });
  process.stderr.write(banner(config, app, fleet !== null));
  shutdown.ready(async () => {
    await fleet?.stop();
    await app.stop();
  });
}
