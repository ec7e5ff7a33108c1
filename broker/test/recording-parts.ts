import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { createBrokerMetrics, ListenerTraffic, type BrokerMetrics, type ListenerName } from '../src/broker-metrics.js';

/** The broker parts that steps report to, real but in memory: metrics on their own registry, a log kept as records. */
export interface RecordingParts {
  metrics: BrokerMetrics;
  traffic: Record<ListenerName, ListenerTraffic>;
  log: Logger;
  logged: { level: number; msg: string; [field: string]: unknown }[];
}

export function recordingParts(): RecordingParts {
  const traffic = { tcp: new ListenerTraffic(), tls: new ListenerTraffic(), ws: new ListenerTraffic() };
  const logged: RecordingParts['logged'] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => logged.push(JSON.parse(line)) });
  return { metrics: createBrokerMetrics(new Registry(), traffic), traffic, log, logged };
}

/** A counter's value for these labels (0 when it was never incremented). */
export async function count(
  counter: BrokerMetrics['deniedPublishes' | 'refused' | 'authFailures' | 'dropped'],
  labels: Record<string, string>,
): Promise<number> {
  const { values } = await counter.get();
  const match = values.find((v) => Object.entries(labels).every(([name, value]) => (v.labels as Record<string, unknown>)[name] === value));
  return match?.value ?? 0;
}

/** A promise settled from outside, to hold a store or a login while a test looks at the state meanwhile. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
