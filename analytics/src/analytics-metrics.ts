import { Counter, Gauge, type Registry } from 'prom-client';

/** The analytics' Prometheus metrics: how often late data re-derives results, stops that close nothing, and what waits for integrators. */
export function createAnalyticsMetrics(registry: Registry, outboxDepth: () => number) {
  const registers = [registry];
  return {
    lateDevices: new Counter({
      name: 'parcours_analytics_late_rederivations_total',
      help: 'Devices whose sessions the streaming job re-derived because records older than their frontier reached them.',
      registers,
    }),
    unmatchedStops: new Counter({
      name: 'parcours_analytics_unmatched_stops_total',
      help: 'usage.stop events that closed no session: none was open, or the session they would close had reached its maximum length.',
      registers,
    }),
    journeyRebuilds: new Counter({
      name: 'parcours_analytics_journey_rebuilds_total',
      help: 'Subjects whose journeys the streaming job rebuilt from the store (re-derived sessions, or a session a closed journey could have taken).',
      registers,
    }),
    outbox: new Gauge({
      name: 'parcours_analytics_outbox_messages',
      help: 'Messages for integrators (new, changed and removed results) committed and not yet published.',
      registers,
      collect() {
        this.set(outboxDepth());
      },
    }),
  };
}

export type AnalyticsMetrics = ReturnType<typeof createAnalyticsMetrics>;
