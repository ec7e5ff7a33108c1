import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const workspaces = ['contracts', 'broker', 'gateway', 'analytics', 'dashboards', 'firmware-sim'];

export default defineConfig({
  resolve: {
    // Tests run every workspace from its TypeScript source, so one module graph serves all of them.
    alias: workspaces.map((name) => ({
      find: `@parcours/${name}`,
      replacement: fileURLToPath(new URL(`./${name}/src/index.ts`, import.meta.url)),
    })),
  },
  test: {
    include: ['test/**/*.test.ts', ...workspaces.map((name) => `${name}/test/**/*.test.ts`)],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['tools/services/global-setup.ts'],
  },
});
