import type { Aedes, PublishPacket } from 'aedes';
import type { ListenerTraffic } from './broker-metrics.js';

/**
 * Mosquitto's `$SYS/broker/…` statistics, retained and refreshed every interval, so that MQTT tools
 * (mosquitto_sub -t '$SYS/#', MQTT Explorer) show them; aedes adds its own `$SYS/{id}/heartbeat`.
 */
export class SysTopics {
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAt = Date.now();

  constructor(
    private readonly aedes: Aedes,
    private readonly version: string,
    private readonly listeners: readonly ListenerTraffic[],
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.publish();
    this.timer = setInterval(() => this.publish(), this.intervalMs).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private publish(): void {
    const sum = (read: (t: ListenerTraffic) => number) => this.listeners.reduce((total, t) => total + read(t), 0);
    const values: Record<string, string | number> = {
      version: this.version,
      uptime: `${Math.round((Date.now() - this.startedAt) / 1000)} seconds`,
      'clients/connected': sum((t) => t.connected),
      'messages/received': sum((t) => t.messagesIn),
      'messages/sent': sum((t) => t.messagesOut),
      'load/bytes/received': sum((t) => t.bytes().in),
      'load/bytes/sent': sum((t) => t.bytes().out),
    };
    for (const [name, value] of Object.entries(values)) {
      const packet = { cmd: 'publish', topic: `$SYS/broker/${name}`, payload: Buffer.from(String(value)), qos: 0, retain: true, dup: false } as PublishPacket;
      this.aedes.publish(packet, () => undefined);
    }
  }
}
