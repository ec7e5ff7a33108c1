import type { Funnel } from '@parcours/contracts';
import {
  type BaseUsageTruth,
  baseUsageTruth,
  type CustomerBase,
  type CustomerUsage,
  customerId,
  generateUsage,
  publishUsage,
  type UsagePublishProgress,
  usageTraffic,
  writeBaseUsageTruth,
} from '@parcours/firmware-sim';
import type { Logger } from 'pino';
import { bar } from './progress.js';
import { UsageError } from './usage-error.js';

/**
 * `parcours sim --universe N --usage W`: the customer base's usage of its two devices over the W whole ISO
 * weeks before the simulated end, its truth over the whole base written beside the base's ground truth, and,
 * against a Parcours, every customer's devices registered and their sessions published. Every customer has
 * the devices: the usage model itself decides who adopts them, when, and who never does, so what Parcours
 * receives is the whole base's usage and the truth is directly what weighted panel figures estimate.
 */

const dayMs = 86_400_000;
const weekMs = 7 * dayMs;

export interface UsageSpan {
  weeks: number;
  /** A Monday, 00:00 UTC. */
  from: number;
  /** The Monday of the week of the end: the weeks are whole. */
  to: number;
}

/** The `weeks` whole ISO weeks before the week holding `end`. */
export function usageSpan(weeks: number, end: number): UsageSpan {
  // 1970-01-01 was a Thursday: Mondays are 4 days past a multiple of a week.
  const to = Math.floor((end - 4 * dayMs) / weekMs) * weekMs + 4 * dayMs;
  return { weeks, from: to - weeks * weekMs, to };
}

/** The gateway quarantines events older than its `gateway.maxLateness`: usage reaching further back would be lost. */
export function checkUsageLateness(span: UsageSpan, now: number, maxLatenessMs: number): void {
  const age = now - span.from;
  if (age <= maxLatenessMs) return;
  const days = Math.ceil(age / dayMs);
  throw new UsageError(
    `--usage ${span.weeks}: its first week starts ${new Date(span.from).toISOString().slice(0, 10)}, ${days} days ago, further back than gateway.maxLateness ` +
      `(${Math.floor(maxLatenessMs / dayMs)}d): Parcours would quarantine those events. Start Parcours, and run the sim, with PARCOURS_GATEWAY_MAX_LATENESS=${days + 1}d or more`,
  );
}

export interface WrittenUsage {
  usage: CustomerUsage;
  truth: BaseUsageTruth;
  path: string;
}

export async function writeUsage(base: CustomerBase, span: UsageSpan, dir: string): Promise<WrittenUsage> {
  const usage = generateUsage(base, { seed: base.seed, from: span.from, weeks: span.weeks });
  const truth = baseUsageTruth(usage, base.seed);
  return { usage, truth, path: await writeBaseUsageTruth(truth, dir) };
}

/** `usage: [#####...............]  25%: devices 5123/21142, acked 61234/277780` (devices: those with sessions, given credentials) */
export function renderUsageProgress(p: Readonly<UsagePublishProgress>): string {
  const done = (p.credentialed + p.acked) / Math.max(1, p.speaking + p.messages);
  return `usage: ${bar(done)}: devices ${p.credentialed}/${p.speaking}, acked ${p.acked}/${p.messages}`;
}

export async function publishBaseUsage(
  base: CustomerBase,
  written: WrittenUsage,
  options: { apiUrl: string; apiKey: string; mqttUrl: string; baseTopic: string; logger: Logger; onProgress: (p: Readonly<UsagePublishProgress>) => void },
): Promise<{ devices: number; connected: number; published: number }> {
  const people = Array.from({ length: base.customers.count }, (_, customer) => ({ customer, id: customerId(base.customers, customer) }));
  const traffic = usageTraffic(written.usage, people);
  const { published, connected } = await publishUsage(traffic, { ...options, assignedFrom: written.usage.from });
  return { devices: traffic.devices.length, connected, published };
}

/** The summary lines: the span, the truth's path and headline, and which declared funnel compares with it. */
export function describeUsage(
  written: WrittenUsage,
  funnels: readonly Funnel[],
  published?: { devices: number; connected: number; published: number },
): string {
  const { truth, path } = written;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const sessions = written.usage.start.length;
  const last = truth.weeks.at(-1)!;
  const lines = [
    `usage: ${truth.weeks.length} weeks from ${day(truth.from)} to ${day(truth.to)} (Mondays, UTC), ${sessions} sessions of ${truth.people} customers` +
      (published ? `; ${published.devices} devices registered, ${published.connected} with sessions connected, ${published.published} events acked` : ''),
    `usage truth: ${path} (week of ${day(last.start)}: ${(last.share * 100).toFixed(1)}% of the base active)`,
  ];
  const steps = truth.funnel.steps.join(' → ');
  const same = funnels.find(
    (f) =>
      f.countBy === 'individual' &&
      f.window === truth.funnel.windowS * 1000 &&
      f.steps.length === truth.funnel.steps.length &&
      f.steps.every((s, k) => s.deviceType === truth.funnel.steps[k]),
  );
  lines.push(
    same
      ? `funnel truth: ${steps} within ${truth.funnel.windowS / 60} min by individual, as the funnel "${same.name}" counts`
      : `funnel truth: ${steps} within ${truth.funnel.windowS / 60} min by individual; no declared funnel counts it (declare one in analytics.funnels to compare)`,
  );
  return `${lines.join('\n')}\n`;
}
