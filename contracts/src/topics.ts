/** MQTT topic layout (docs/design.md, "MQTT topics"). Every topic string is built or parsed here. */

export const deviceChannels = ['telemetry', 'events', 'status'] as const;
export type DeviceChannel = (typeof deviceChannels)[number];

export interface DeviceTopic {
  deviceId: string;
  channel: DeviceChannel;
}

export function deviceTopic(base: string, deviceId: string, channel: DeviceChannel): string {
  return `${base}/devices/${deviceId}/${channel}`;
}

export function subjectTopic(base: string, subjectId: string, stream: 'sessions' | 'journeys' | 'sessions/removed' | 'journeys/removed'): string {
  return `${base}/subjects/${subjectId}/${stream}`;
}

/** Where a person's survey prompts are also published (retained) for integrators granted the person: one topic per prompt. */
export function subjectPromptTopic(base: string, subjectId: string, promptId: string): string {
  return `${base}/subjects/${subjectId}/prompts/${promptId}`;
}

/** Where a survey prompt waits for a device (retained), under the device's `commands/`: one topic per prompt, cleared on its own. */
export function promptTopic(base: string, deviceId: string, promptId: string): string {
  return `${base}/devices/${deviceId}/commands/survey-prompts/${promptId}`;
}

export function quarantineTopic(base: string, deviceId: string): string {
  return `${base}/quarantine/${deviceId}`;
}

/**
 * Whether a client's publish is for the gateway: anything under `{base}/devices/` but the downstream
 * `commands/` (malformed device topics included, so that they are quarantined rather than ignored).
 */
export function isUpstreamDeviceTopic(base: string, topic: string): boolean {
  const prefix = `${base}/devices/`;
  return topic.startsWith(prefix) && topic.split('/')[base.split('/').length + 2] !== 'commands';
}

/** Parses `{base}/devices/{deviceId}/{channel}`; null when the topic is not an upstream device topic. */
export function parseDeviceTopic(base: string, topic: string): DeviceTopic | null {
  const prefix = `${base}/devices/`;
  if (!topic.startsWith(prefix)) return null;
  const parts = topic.slice(prefix.length).split('/');
  if (parts.length !== 2) return null;
  const [deviceId, channel] = parts as [string, string];
  if (deviceId === '' || !(deviceChannels as readonly string[]).includes(channel)) return null;
  return { deviceId, channel: channel as DeviceChannel };
}

/**
 * The MQTT 5 shared subscriptions (`$share/{group}/{filter}`, MQTT 5 §4.8.2) through which gateway
 * instances split the upstream device messages of an external broker.
 */
export function sharedDeviceSubscriptions(base: string, group: string): string[] {
  return deviceChannels.map((channel) => `$share/${group}/${base}/devices/+/${channel}`);
}

/**
 * The retained claim of the node that holds the ingest lease of a shared-subscription group on an external
 * broker (docs/several-nodes.md); only the Parcours nodes may read or write it.
 */
export function ingestLeaseTopic(base: string, group: string): string {
  return `${base}/nodes/${group}/ingest`;
}
