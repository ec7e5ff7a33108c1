import type { PanelService } from './panel-service.js';

/** Writes every panel's health at an interval, so that the `panel_health` measurement follows panels between refreshes. */
export class PanelHealthJob {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly service: PanelService,
    private readonly intervalMs: number,
  ) {}

  async start(): Promise<void> {
    this.timer = setInterval(() => this.service.writeAllHealth(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
