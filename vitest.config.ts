import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const workspaces = ['contracts', 'geography', 'broker', 'gateway', 'analytics', 'dashboards', 'firmware-sim', 'sampling', 'weighting', 'panels', 'surveys'];

export default defineConfig({
  resolve: {
    // Tests run every workspace from its TypeScript source, so one module graph serves all of them.
    alias: workspaces.map((name) => ({
      find: `@parcours/${name}`,
      replacement: fileURLToPath(new URL(`./${name}/src/index.ts`, import.meta.url)),
    })),
  },
  test: {
    pool: 'forks',
    // Two files at a time even on two cores (Vitest's default there is one): integration tests spend much of
    // their time waiting for servers and child processes, and unit files are quick.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        extends: true,
        test: {
          // Pure logic beside each workspace's source: no server, socket or child process, so no set-up to wait
          // for. Such tests leave no state behind: the files share one module graph instead of each loading it.
          name: 'unit',
          include: workspaces.map((name) => `${name}/test/**/*.test.ts`),
          isolate: false,
          // A limit for a hang only: every file here takes well under a second of CPU.
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          // Real InfluxDB, Mosquitto, Redis, Chromium, docker-compose and Parcours processes. Tests wait for the
          // conditions they need, so only a hang reaches these limits, sized for a busy two-core machine: there
          // the longest set-up, the city's 5,000 devices registered and connected, takes about two minutes.
          // Also the properties of simulated days (test/simulated-days): pure, but seconds of CPU per test.
          name: 'integration',
          include: ['test/**/*.test.ts'],
          // Each test starts its own servers, folders and ports: files share one module graph per worker, instead
          // of each loading every workspace again (about 2 minutes of a run on two cores).
          isolate: false,
          testTimeout: 180_000,
          hookTimeout: 480_000,
          globalSetup: ['tools/services/global-setup.ts'],
        },
      },
    ],
  },
});
