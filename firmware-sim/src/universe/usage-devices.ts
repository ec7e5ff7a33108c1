import { deviceCredentialsSchema, deviceTopic, errorCodes, ParcoursError, toIso, type DeviceCredentials } from '@parcours/contracts';
import type { Logger } from 'pino';
import { z } from 'zod';
import { DeviceClient, isConnectRefused } from '../device-client.js';
import { forEachLimited } from '../limit.js';
import { ApiClient } from '../registrar.js';
import { eventMessage } from '../timeline/generate-timeline.js';
import type { TimelineMessage } from '../timeline/types.js';
import { type CustomerUsage, usageDeviceTypes, type UsageDeviceType } from './usage.js';

/**
 * What the product ingests of some customers' usage: one device per customer and device type, owned by the
 * customer, and each session as `usage.start` then `usage.stop` on its device's events channel — registered
 * through the API and published over MQTT as the simulator's devices are.
 */

export interface UsageDevice {
  id: string;
  type: UsageDeviceType;
  ownerId: string;
}

export interface UsageTraffic {
  devices: UsageDevice[];
  /** Every device's events, in device-time order. */
  messages: TimelineMessage[];
}

export const usageDeviceId = (ownerId: string, type: UsageDeviceType) => `${ownerId}.${type}`;

/** The devices and events of the given customers (index in the base, and id). */
export function usageTraffic(usage: CustomerUsage, people: readonly { customer: number; id: string }[]): UsageTraffic {
  const devices: UsageDevice[] = [];
  const messages: TimelineMessage[] = [];
  for (const { customer, id } of people) {
    for (const type of usageDeviceTypes) devices.push({ id: usageDeviceId(id, type), type, ownerId: id });
    for (let s = usage.first[customer]!; s < usage.first[customer + 1]!; s++) {
      const deviceId = usageDeviceId(id, usageDeviceTypes[usage.deviceType[s]!]!);
      messages.push(eventMessage(deviceId, usage.start[s]!, 'usage.start', null), eventMessage(deviceId, usage.end[s]!, 'usage.stop', null));
    }
  }
  messages.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  return { devices, messages };
}

export interface PublishUsageOptions {
  apiUrl: string;
  /** An admin API key. */
  apiKey: string;
  mqttUrl: string;
  baseTopic: string;
  /** When the devices become their owners'. */
  assignedFrom: number;
  logger: Logger;
  /** Devices connecting, or registering, at once. */
  concurrency?: number;
  /**
   * Most devices connected at once: the devices go in groups of about this many (an owner's devices in the
   * same group), each group connected, its events published and acknowledged, then disconnected.
   */
  devicesAtOnce?: number;
  /** Called as the work advances, with the same live object. */
  onProgress?: (progress: Readonly<UsagePublishProgress>) => void;
}

export interface UsagePublishProgress {
  /** Devices registered. */
  devices: number;
  /** Devices with events to send: only they get MQTT credentials and connect. */
  speaking: number;
  /** Of those, the ones whose credentials were issued. */
  credentialed: number;
  messages: number;
  /** Events the broker acknowledged. */
  acked: number;
}

const importChunk = 5000;
const importResultSchema = z.object({ created: z.record(z.string(), z.number()) });
/** CONNACK 3, server unavailable: the broker's connection rate or count limit; worth trying again shortly. */
const serverUnavailable = 3;
const connectAttempts = 20;

/**
 * Registers the devices and their owners through the bulk import, then group by group issues each device with
 * events its MQTT credentials, connects them, publishes every message of the group at QoS 1 in device-time
 * order and disconnects once the broker acknowledged them all. Rejects when a publish is lost.
 */
export async function publishUsage(traffic: UsageTraffic, options: PublishUsageOptions): Promise<{ published: number; connected: number }> {
  const { logger } = options;
  const api = new ApiClient({ apiUrl: options.apiUrl, apiKey: options.apiKey, logger });
  const limit = options.concurrency ?? 16;
  const progress: UsagePublishProgress = {
    devices: traffic.devices.length,
    speaking: new Set(traffic.messages.map((m) => m.deviceId)).size,
    credentialed: 0,
    messages: traffic.messages.length,
    acked: 0,
  };
  const report = () => options.onProgress?.(progress);
  const rows = {
    devices: traffic.devices.map((d) => ({ id: d.id, type: d.type })),
    assignments: traffic.devices.map((d) => ({
      id: `${d.id}.owner`,
      deviceId: d.id,
      subjectId: d.ownerId,
      validFrom: toIso(options.assignedFrom),
      validTo: null,
    })),
  };
  for (const kind of ['devices', 'assignments'] as const)
    for (let i = 0; i < rows[kind].length; i += importChunk)
      importResultSchema.parse((await api.post('/api/v1/import', { [kind]: rows[kind].slice(i, i + importChunk) }, `usage ${kind}`)).body);
  report();
  const onAcked = () => {
    progress.acked++;
    report();
  };
  const onCredentialed = () => {
    progress.credentialed++;
    report();
  };
  for (const group of deviceGroups(traffic, options.devicesAtOnce ?? 2000)) await publishGroup(group, { ...options, api, limit, onAcked, onCredentialed });
  return { published: traffic.messages.length, connected: progress.speaking };
}

/** Consecutive devices of about `size`, an owner's devices never split, each with its messages in order. */
function deviceGroups(traffic: UsageTraffic, size: number): UsageTraffic[] {
  const groups: UsageTraffic[] = [];
  const groupOf = new Map<string, UsageTraffic>();
  let current: UsageTraffic | null = null;
  let owner: string | null = null;
  for (const device of traffic.devices) {
    if (current === null || (current.devices.length >= size && device.ownerId !== owner)) groups.push((current = { devices: [], messages: [] }));
    current.devices.push(device);
    groupOf.set(device.id, current);
    owner = device.ownerId;
  }
  for (const message of traffic.messages) {
    const group = groupOf.get(message.deviceId);
    if (!group) throw new ParcoursError(errorCodes.internal, `a usage message names ${message.deviceId}, which is not among the devices`);
    group.messages.push(message);
  }
  return groups;
}

/** Issues the group's credentials, connects its devices, publishes its messages and waits for every ack. */
async function publishGroup(
  group: UsageTraffic,
  options: PublishUsageOptions & { api: ApiClient; limit: number; onAcked: () => void; onCredentialed: () => void },
): Promise<void> {
  const { api, limit, logger } = options;
  // A device its owner never used has nothing to send: registered, never connected.
  const speaking = new Set(group.messages.map((m) => m.deviceId));
  const devices = group.devices.filter((d) => speaking.has(d.id));
  const credentials = new Map<string, DeviceCredentials>();
  await forEachLimited(devices, limit, async (d) => {
    const body = (await api.post(`/api/v1/devices/${encodeURIComponent(d.id)}/credentials`, null, `credentials of ${d.id}`)).body;
    credentials.set(d.id, deviceCredentialsSchema.parse(body));
    options.onCredentialed();
  });
  const clients = new Map<string, DeviceClient>();
  try {
    await forEachLimited(devices, limit, async (d) => {
      const secret = credentials.get(d.id)!;
      const client = new DeviceClient({
        deviceId: d.id,
        mqttUrl: options.mqttUrl,
        baseTopic: options.baseTopic,
        auth: { username: secret.username, password: secret.secret },
        maxInFlight: 16,
        announceStatus: false,
        reconnect: true,
        logger,
      });
      await connectPatiently(client);
      clients.set(d.id, client);
    });
    const lost: Error[] = [];
    for (const message of group.messages)
      await clients.get(message.deviceId)!.publish(deviceTopic(options.baseTopic, message.deviceId, message.channel), message.payload, 1, (error) => {
        if (error) lost.push(error);
        else options.onAcked();
      });
    await Promise.all([...clients.values()].map((c) => c.flush()));
    if (lost.length > 0) throw new ParcoursError(errorCodes.unreachable, `${lost.length} usage events were not acknowledged: ${lost[0]!.message}`);
  } finally {
    await Promise.all([...clients.values()].map((c) => c.close(5000)));
  }
}

/** Connects, trying again while the broker answers that it is busy (its connection rate spent). */
async function connectPatiently(client: DeviceClient): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.connect();
    } catch (error) {
      if (!isConnectRefused(error) || error.code !== serverUnavailable || attempt >= connectAttempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 400 * Math.min(attempt, 5)));
    }
  }
}
