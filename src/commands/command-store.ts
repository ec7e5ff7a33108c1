import { resolve } from 'node:path';
import { analyticsMigrations } from '@parcours/analytics';
import { panelMigrations } from '@parcours/panels';
import { surveyMigrations } from '@parcours/surveys';
import { errorCodes, ParcoursError, type Config } from '@parcours/contracts';
import { createGatewayMetrics, EmbeddedStore, Gateway, gatewayMigrations, storeExists, storeFileName } from '@parcours/gateway';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';

/**
 * The store a command works on (beside a running server or not): its gateway, not started, and the store to
 * close. Only `parcours start` creates a store: a command run from another folder would otherwise work on a
 * new, empty one (keys the server never sees, re-derivations of nothing) and say it succeeded.
 */
export function openCommandStore(config: Readonly<Config>, logger: Logger): { gateway: Gateway; store: EmbeddedStore } {
  if (!storeExists(config.data.dir)) {
    throw new ParcoursError(
      errorCodes.noStore,
      `${resolve(config.data.dir)} holds no Parcours store (no ${storeFileName}): run this where \`parcours start\` ran, or name its data folder with PARCOURS_DATA_DIR or --config`,
    );
  }
  const store = EmbeddedStore.open(config.data, [...gatewayMigrations, ...analyticsMigrations, ...panelMigrations, ...surveyMigrations]);
  return { store, gateway: new Gateway({ store, config, logger, metrics: createGatewayMetrics(new Registry()) }) };
}
