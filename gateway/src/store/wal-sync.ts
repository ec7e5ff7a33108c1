import { closeSync, fsync, openSync } from 'node:fs';

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Makes committed transactions durable without blocking the event loop. The store commits with
 * `synchronous = NORMAL` (the WAL is written, not fsynced), then `sync()` fsyncs the WAL file on the libuv
 * thread pool: once it resolves, every transaction committed before the call survives a power cut, as
 * with `synchronous = FULL`, and the broker kept reading packets meanwhile. Calls made while an fsync
 * runs share the next one (group commit).
 */
export class WalSync {
  private fd: number | null = null;
  private waiting: Waiter[] = [];
  private busy = false;
  private stopping = false;

  constructor(private readonly walPath: string) {}

  /** Call once the store has run a transaction (the WAL file exists from then on). */
  start(): void {
    // SQLite keeps one WAL file (same inode, rewritten from its start after a checkpoint) until the last
    // connection closes, so an fd opened now stays valid for the store's lifetime.
    this.fd = openSync(this.walPath, 'r+');
    this.stopping = false;
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.busy) this.run();
    });
  }

  /** Closes the file now, or once the running fsync has finished. */
  stop(): void {
    this.stopping = true;
    if (!this.busy) this.close();
  }

  private run(): void {
    const batch = this.waiting;
    this.waiting = [];
    const fd = this.fd;
    if (fd === null) {
      for (const waiter of batch) waiter.reject(new Error('the WAL is not open'));
      return;
    }
    this.busy = true;
    fsync(fd, (error) => {
      this.busy = false;
      for (const waiter of batch) error ? waiter.reject(error) : waiter.resolve();
      if (this.waiting.length > 0) this.run();
      else if (this.stopping) this.close();
    });
  }

  private close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
