import type { Logger } from 'pino';
import type { Database } from '../store/database.js';
import type { ApiKeyStore } from './api-key-store.js';

/** How often the store is checked for commits of another process; a key it revoked loses its sessions this much later at most. */
const checkIntervalMs = 1000;

/**
 * API keys revoked by another process on the same store (`parcours keys revoke` beside a running server).
 * SQLite's `data_version` changes when another connection commits, never for this one's own commits
 * (sqlite.org/pragma.html#pragma_data_version): each check costs one pragma until another process writes,
 * then the keys remaining are announced, so that the sessions of the others end.
 */
export class KeyRevocationWatch {
  private timer: NodeJS.Timeout | null = null;
  private version = 0;

  constructor(
    private readonly db: Database,
    private readonly keys: ApiKeyStore,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.version = this.dataVersion();
    this.timer = setInterval(() => this.check(), checkIntervalMs).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Announces the keys remaining if another process committed since the last check. */
  check(): void {
    try {
      const version = this.dataVersion();
      if (version === this.version) return;
      this.version = version;
      this.keys.announceRemaining();
    } catch (error) {
      // The store's health check reports a store that fails; the next check tries again.
      this.logger.error({ err: error }, 'could not check the store for revoked API keys');
    }
  }

  private dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }
}
