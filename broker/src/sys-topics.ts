import type { Aedes, PublishPacket } from 'aedes';

export interface SysStats {
  connected: number;
  messagesIn: number;
  messagesOut: number;
  bytes: { in: number; out: number };
}

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
    private readonly stats: () => SysStats,
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
    const s = this.stats();
    const values: Record<string, string | number> = {
      version: this.version,
      uptime: `${Math.round((Date.now() - this.startedAt) / 1000)} seconds`,
      'clients/connected': s.connected,
      'messages/received': s.messagesIn,
      'messages/sent': s.messagesOut,
      'load/bytes/received': s.bytes.in,
      'load/bytes/sent': s.bytes.out,
    };
    for (const [name, value] of Object.entries(values)) {
      const packet = { cmd: 'publish', topic: `$SYS/broker/${name}`, payload: Buffer.from(String(value)), qos: 0, retain: true, dup: false } as PublishPacket;
      this.aedes.publish(packet, () => undefined);
    }
  }
}
