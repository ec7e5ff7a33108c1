import { analyticsMigrations } from '@parcours/analytics';
import type { Config } from '@parcours/contracts';
import { createGatewayMetrics, EmbeddedStore, Gateway, gatewayMigrations } from '@parcours/gateway';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';

/** The store a command works on (beside a running server or not): its gateway, not started, and the store to close. */
export function openCommandStore(config: Readonly<Config>, logger: Logger): { gateway: Gateway; store: EmbeddedStore } {
  const store = EmbeddedStore.open(config.data, [...gatewayMigrations, ...analyticsMigrations]);
  return { store, gateway: new Gateway({ store, config, logger, metrics: createGatewayMetrics(new Registry()) }) };
}
