import { durationSchema, idSchema } from '@parcours/contracts';
import { z } from 'zod';

/**
 * What a load run does, validated once at the edge: the coordinator's plan (`loadPlanSchema`), and the
 * share of it each worker process runs (`workerPlanSchema`), written to a file because thousands of
 * devices with their passwords exceed what a command line may hold.
 */

export const loadDeviceSchema = z.strictObject({
  id: idSchema,
  username: z.string().optional(),
  password: z.string().optional(),
});
export type LoadDevice = z.infer<typeof loadDeviceSchema>;

const credentialsSchema = z
  .union([
    z.literal('anonymous').describe('connect without username (brokers with anonymous access)'),
    z.literal('listed').describe('each listed device carries its own username and password'),
    z
      .strictObject({
        apiUrl: z.url(),
        apiKey: z.string().min(1).describe('an admin API key'),
        deviceType: z.string().default('meter'),
      })
      .describe('register every device through the Parcours API first: creating a device returns its secret'),
  ])
  .default('anonymous');

export const loadPlanSchema = z.strictObject({
  url: z.string().min(1).describe('broker URL, e.g. mqtt://localhost:1883'),
  baseTopic: z.string().min(1).default('parcours'),
  devices: z.union([z.array(loadDeviceSchema).min(1), z.strictObject({ prefix: z.string().default('load-'), count: z.number().int().positive() })]),
  credentials: credentialsSchema,
  rate: z
    .union([z.strictObject({ perDevice: z.number().nonnegative() }), z.strictObject({ total: z.number().nonnegative() })])
    .describe('messages per second; 0 publishes as fast as the window allows (saturation)'),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
  window: z.number().int().positive().default(16).describe('most unacknowledged publishes per device'),
  duration: durationSchema.default(10_000).describe('publishing time; 0 only connects (connection scale)'),
  processes: z.number().int().positive().default(1),
  connectConcurrency: z.number().int().positive().default(100).describe('CONNECTs pending at once per process'),
  ackTimeout: durationSchema.default(10_000).describe('how long to wait for the last acks before counting them unacked'),
  firstSeq: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('first seq; by default derived from the clock, so that runs against one store never repeat a (device, seq) pair'),
});
export type LoadPlanInput = z.input<typeof loadPlanSchema>;
export type LoadPlan = z.output<typeof loadPlanSchema>;

export const workerPlanSchema = z.strictObject({
  url: z.string().min(1),
  baseTopic: z.string().min(1),
  devices: z.array(loadDeviceSchema),
  ratePerDevice: z.number().nonnegative(),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  window: z.number().int().positive(),
  durationMs: z.number().nonnegative(),
  connectConcurrency: z.number().int().positive(),
  ackTimeoutMs: z.number().nonnegative(),
  firstSeq: z.number().int().nonnegative(),
  progressMs: z.number().int().positive().default(1000),
});
export type WorkerPlan = z.input<typeof workerPlanSchema>;

/** A worker's counters so far; `latency` is a serialized LatencyHistogram. */
export interface WorkerCounts {
  sent: number;
  acked: number;
  failed: number;
}

export interface WorkerReport extends WorkerCounts {
  /** Sent but neither acked nor failed when the ack timeout ran out. */
  unacked: number;
  elapsedMs: number;
  latency: [number, number][];
  /** Highest number of unacknowledged publishes any one device had: never above the window. */
  maxInFlight: number;
}

/** Messages between a worker and the coordinator, over the child-process IPC channel. */
export type WorkerMessage =
  | { type: 'connected'; connected: number; failed: number; elapsedMs: number; error: string | null }
  | ({ type: 'progress' } & WorkerCounts)
  | ({ type: 'report' } & WorkerReport);
export type CoordinatorMessage = { type: 'start' } | { type: 'stop' };
