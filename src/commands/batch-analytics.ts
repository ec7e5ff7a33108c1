import { Analytics } from '@parcours/analytics';
import type { Config } from '@parcours/contracts';
import type { Gateway, InfluxWriter } from '@parcours/gateway';
import { TriggerInbox } from '@parcours/surveys';
import type { Logger } from 'pino';
import { storedSchemes, weightedSchemes } from '../weighting-schemes.js';

/**
 * The analytics of a batch command on the store it opened (`openCommandStore`): built, never started. What they queue
 * in the outbox (and the results for the surveys' triggers) is published by the server, now if it runs beside the command, else when it next starts. The days they
 * re-derive get their weighted points too, from the weighting schemes' stored runs.
 */
export function batchAnalytics(config: Pick<Config, 'analytics' | 'mqtt'>, gateway: Gateway, influx: InfluxWriter | null, logger: Logger): Analytics {
  const schemes = storedSchemes(gateway);
  const triggerInbox = new TriggerInbox(gateway.db, config.mqtt.baseTopic);
  return new Analytics({
    config,
    db: gateway.db,
    log: gateway.log,
    offsets: gateway.offsets,
    registry: gateway.asOf,
    influx,
    publish: () => Promise.reject(new Error('a batch command leaves the outbox to the server')),
    logger,
    weightedSchemes: () => weightedSchemes(schemes),
    // Matched against the surveys' triggers by the server, now if it runs beside the command, else when it next starts.
    onAnnounced: (messages) => triggerInbox.add(messages),
  });
}
