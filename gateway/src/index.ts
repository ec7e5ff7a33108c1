export { Gateway, type GatewayOptions } from './gateway.js';
export { createGatewayMetrics, type GatewayMetrics } from './metrics.js';
export { buildHttpApp, type HttpApp, type HttpAppDeps } from './http/build-app.js';
export { notFound, type CountHttpError } from './http/errors.js';
export { problemResponse } from './http/openapi.js';
export { refuseSocket, type SocketProblem } from './http/socket-errors.js';
export { pageOf, pageQuerySchema } from './http/pagination.js';
export { LogConsumer, type ConsumerStatus, type LogConsumerOptions } from './log/log-consumer.js';
export type { EventLog } from './log/event-log.js';
export type { ConsumerOffsets } from './log/consumer-offsets.js';
export type { InboundMessage } from './pipeline/message.js';
export type { WriteOutcome } from './pipeline/batch-writer.js';
export { migrate, statementCache, storeExists, storeFileName, type Database, type Migration } from './store/database.js';
export { EmbeddedStore } from './store/embedded-store.js';
export { devicePartition } from './store/postgres/partitions.js';
export { type Ownership, PartitionOwners, type PartitionOwnersOptions, partitionOwnersSchema, rendezvousOwner } from './store/postgres/partition-owners.js';
export {
  type AppendOutcome,
  type LogPosition,
  logStart,
  SharedLog,
  type SharedLogEntry,
  type SharedLogRow,
  sharedLogSchema,
} from './store/postgres/shared-log.js';
export { gatewayMigrations } from './store/migrations.js';
export { InfluxRawSink } from './sinks/influx-raw-sink.js';
export { isTruncated, keptPayload } from './quarantine/kept-payload.js';
export type { QuarantineEntry } from './quarantine/quarantine-store.js';
export * from './influx/index.js';
export { ApiKeyStore } from './auth/api-key-store.js';
export type { Access } from './auth/access.js';
export { requireKey } from './auth/require-key.js';
export { reattributeEvents, type ReattributeProgress } from './reattribute/reattribute-events.js';
export { rewriteRawPoints } from './reattribute/rewrite-raw-points.js';
export { AttributionIndex } from './registry/attribution-index.js';
export { ConsentStore } from './consent/consent-store.js';
export { RegistryStore } from './registry/registry-store.js';
export { ProfileStore, type IdentityInput, type TraitInput } from './profiles/profile-store.js';
export { CoalescingRunner } from './jobs/coalescing-runner.js';
