import type { MqttClient } from 'mqtt';
import type { ParcoursApp } from '../src/app.js';
import { api } from './helpers.js';
import { connectRecording } from './mqtt-clients.js';

const minute = 60_000;

/**
 * Devices registered through the API and connected over MQTT with their own credentials, publishing
 * with increasing `seq`: a hand-written fleet for tests that need exact sessions.
 */
export class TestFleet {
  private readonly devices = new Map<string, { client: MqttClient; secret: string; seq: number }>();

  constructor(private app: ParcoursApp) {}

  /** Registers a device, assigns it to a subject from `validFrom`, and connects it. */
  async connect(id: string, type: string, subjectId: string, validFrom: number): Promise<void> {
    const { urls } = this.app;
    const created = await api<{ credentials: { secret: string } }>(urls.http, 'POST', '/api/v1/devices', { id, type });
    await api(urls.http, 'POST', `/api/v1/devices/${id}/assignments`, { subjectId, validFrom: new Date(validFrom).toISOString() });
    const { client } = await connectRecording(urls.mqtt, { clientId: id, username: id, password: created.body.credentials.secret });
    this.devices.set(id, { client, secret: created.body.credentials.secret, seq: 0 });
  }

  /** Connects every device again, its `seq` going on, to `app`: the same data folder restarted, after `close()`. */
  async reconnect(app: ParcoursApp): Promise<void> {
    this.app = app;
    for (const [id, device] of this.devices)
      device.client = (await connectRecording(app.urls.mqtt, { clientId: id, username: id, password: device.secret })).client;
  }

  async publish(id: string, channel: 'events' | 'telemetry', ts: number, body: Record<string, unknown>): Promise<void> {
    const device = this.devices.get(id);
    if (!device) throw new Error(`device ${id} is not connected`);
    device.seq += 1;
    await device.client.publishAsync(`${this.app.config.mqtt.baseTopic}/devices/${id}/${channel}`, JSON.stringify({ ts, seq: device.seq, ...body }), {
      qos: 1,
    });
  }

  /** Publishes these bytes as they are on the device's channel (a status, a broken payload), at QoS 1. */
  async publishRaw(id: string, channel: 'events' | 'telemetry' | 'status', payload: string, retain = false): Promise<void> {
    const device = this.devices.get(id);
    if (!device) throw new Error(`device ${id} is not connected`);
    await device.client.publishAsync(`${this.app.config.mqtt.baseTopic}/devices/${id}/${channel}`, payload, { qos: 1, retain });
  }

  async event(id: string, ts: number, type: string, actor?: string): Promise<void> {
    await this.publish(id, 'events', ts, { type, ...(actor ? { actor } : {}) });
  }

  /** A usage session from `start`, `minutes` long, naming its actor if given. */
  async use(id: string, start: number, minutes: number, actor?: string): Promise<void> {
    await this.event(id, start, 'usage.start', actor);
    await this.event(id, start + minutes * minute, 'usage.stop');
  }

  async close(): Promise<void> {
    for (const { client } of this.devices.values()) await client.endAsync();
  }
}
