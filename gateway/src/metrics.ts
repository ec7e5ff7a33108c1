import { Counter, type Registry } from 'prom-client';

/** The gateway's Prometheus metrics, on a registry of its own so that several instances can coexist in tests. */
export function createGatewayMetrics(registry: Registry) {
  const registers = [registry];
  return {
    received: new Counter({
      name: 'parcours_messages_received_total',
      help: 'Device messages received, by channel.',
      labelNames: ['channel'] as const,
      registers,
    }),
    accepted: new Counter({
      name: 'parcours_messages_accepted_total',
      help: 'Messages that passed decoding, validation and attribution.',
      labelNames: ['channel'] as const,
      registers,
    }),
    quarantined: new Counter({
      name: 'parcours_messages_quarantined_total',
      help: 'Messages quarantined, by reason code.',
      labelNames: ['reason'] as const,
      registers,
    }),
    stored: new Counter({ name: 'parcours_messages_stored_total', help: 'Messages appended to the durable log.', labelNames: ['channel'] as const, registers }),
    duplicates: new Counter({ name: 'parcours_messages_duplicate_total', help: 'Messages whose (device, seq) was already stored.', registers }),
    late: new Counter({
      name: 'parcours_messages_late_total',
      help: 'Messages accepted although they arrived later than the clock skew allows (within the lateness).',
      registers,
    }),
    clockCorrected: new Counter({
      name: 'parcours_device_clock_corrected_total',
      help: 'Messages whose device time was replaced by the receive time (clock ahead or never set).',
      registers,
    }),
    actorsRejected: new Counter({ name: 'parcours_actor_hints_rejected_total', help: 'Event actor hints that did not hold at the event time.', registers }),
    quarantineDropped: new Counter({
      name: 'parcours_quarantine_dropped_total',
      help: 'Oldest quarantined messages dropped to keep the quarantine within its bound.',
      registers,
    }),
    storeErrors: new Counter({ name: 'parcours_store_errors_total', help: 'Failed writes to the durable log (the message was not acknowledged).', registers }),
    influxRefused: new Counter({
      name: 'parcours_influx_points_refused_total',
      help: 'Points InfluxDB refused for good (4xx); they stay in the durable log.',
      labelNames: ['measurement'] as const,
      registers,
    }),
    authFailures: new Counter({
      name: 'parcours_http_auth_failures_total',
      help: 'API requests refused: missing or unknown key (401), role not allowed (403).',
      labelNames: ['reason'] as const,
      registers,
    }),
    httpErrors: new Counter({
      name: 'parcours_http_errors_total',
      help: 'HTTP requests answered with an error, by status and stable code (docs/http-api.md#errors).',
      labelNames: ['status', 'code'] as const,
      registers,
    }),
    traitRows: new Counter({
      name: 'parcours_profile_trait_rows_total',
      help: 'Rows of trait imports, by source and outcome (matched, unmatched, ambiguous; conflicting among the matched).',
      labelNames: ['source', 'outcome'] as const,
      registers,
    }),
    identityKeys: new Counter({ name: 'parcours_profile_identity_keys_total', help: 'External keys set by identity imports.', registers }),
    sinkErrors: new Counter({
      name: 'parcours_sink_errors_total',
      help: 'Failed batches of a log consumer, by consumer.',
      labelNames: ['consumer'] as const,
      registers,
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
