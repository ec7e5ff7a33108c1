import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

/** A connected MQTT.js client, with every message it has received so far. */
export interface RecordingClient {
  client: MqttClient;
  connack: IConnackPacket;
  messages: Received[];
}

/**
 * Connects without automatic reconnection and records messages from the start: a broker sends a
 * persistent session's queued messages right after the CONNACK, before `connectAsync` would resolve.
 */
export async function connectRecording(url: string, options: IClientOptions): Promise<RecordingClient> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
  const messages = recordMessages(client);
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  return { client, connack, messages };
}

/** Every message the client receives from now on, in arrival order. */
export function recordMessages(client: MqttClient): Received[] {
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return messages;
}

/**
 * Polls until `check()` holds. The limit is generous: a busy machine only makes the condition come later,
 * and a test must fail on the condition, not on the machine's speed.
 */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Lets messages in flight arrive, to check that nothing more does (what must arrive is waited for with `waitUntil`). */
export function settle(ms = 300): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
