import { deviceCredentialsSchema, deviceTopic, errorCodes, ParcoursError, toIso, type DeviceCredentials } from '@parcours/contracts';
import type { Logger } from 'pino';
import { z } from 'zod';
import { DeviceClient } from '../device-client.js';
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
}

const importChunk = 5000;
const importResultSchema = z.object({ created: z.record(z.string(), z.number()) });

/**
 * Registers the devices and their owners through the bulk import, issues each its MQTT credentials, connects
 * them, publishes every message at QoS 1 in order and disconnects once the broker acknowledged them all.
 * Rejects when a publish is lost.
 */
export async function publishUsage(traffic: UsageTraffic, options: PublishUsageOptions): Promise<{ published: number }> {
  const { logger } = options;
  const api = new ApiClient({ apiUrl: options.apiUrl, apiKey: options.apiKey, logger });
  const limit = options.concurrency ?? 16;
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
  const credentials = new Map<string, DeviceCredentials>();
  await forEachLimited(traffic.devices, limit, async (d) => {
    const body = (await api.post(`/api/v1/devices/${encodeURIComponent(d.id)}/credentials`, null, `credentials of ${d.id}`)).body;
    credentials.set(d.id, deviceCredentialsSchema.parse(body));
  });
  const clients = new Map<string, DeviceClient>();
  try {
    await forEachLimited(traffic.devices, limit, async (d) => {
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
      await client.connect();
      clients.set(d.id, client);
    });
    const lost: Error[] = [];
    for (const message of traffic.messages) {
      const client = clients.get(message.deviceId);
      if (!client) throw new ParcoursError(errorCodes.internal, `a usage message names ${message.deviceId}, which is not among the devices`);
      await client.publish(deviceTopic(options.baseTopic, message.deviceId, message.channel), message.payload, 1, (error) => {
        if (error) lost.push(error);
      });
    }
    await Promise.all([...clients.values()].map((c) => c.flush()));
    if (lost.length > 0) throw new ParcoursError(errorCodes.unreachable, `${lost.length} usage events were not acknowledged: ${lost[0]!.message}`);
    return { published: traffic.messages.length };
  } finally {
    await Promise.all([...clients.values()].map((c) => c.close(5000)));
  }
}
