import { closeSync, fsync as fsyncFile, openSync } from 'node:fs';

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** One fsync on its way: the callers it makes durable, all of whom called before it started. */
interface Running {
  waiters: Waiter[];
}

/**
 * Most fsyncs running at once. A commit made while an fsync runs is not covered by it (it started before
 * the commit's write), so waiting for it to end before starting another costs a whole fsync plus a turn of
 * the event loop for its callback; a second one started at once does not. Beyond two, callers share the
 * next one (group commit), so a burst of commits does not fill the libuv thread pool with fsyncs.
 */
const maxRunning = 2;

/**
 * Makes committed transactions durable without blocking the event loop. The store commits with
 * `synchronous = NORMAL` (the WAL is written, not fsynced), then `sync()` fsyncs the WAL file on the libuv
 * thread pool: once it resolves, every transaction committed before the call survives a power cut, as
 * with `synchronous = FULL`, and the broker kept reading packets meanwhile. Calls resolve in the order
 * they were made: an fsync that ends makes durable everything written before it started, so it resolves
 * the calls of the fsyncs started before it too.
 */
export class WalSync {
  private fd: number | null = null;
  /** Calls that no running fsync covers yet. */
  private waiting: Waiter[] = [];
  /** In the order they started. */
  private running: Running[] = [];
  private stopping = false;

  constructor(
    private readonly walPath: string,
    private readonly fsync: (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void = fsyncFile,
  ) {}

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
      if (this.running.length < maxRunning) this.run();
    });
  }

  /** Closes the file now, or once the running fsyncs have finished. */
  stop(): void {
    this.stopping = true;
    if (this.running.length === 0) this.close();
  }

  private run(): void {
    const waiters = this.waiting;
    this.waiting = [];
    const fd = this.fd;
    if (fd === null) {
      for (const waiter of waiters) waiter.reject(new Error('the WAL is not open'));
      return;
    }
    const entry: Running = { waiters };
    this.running.push(entry);
    this.fsync(fd, (error) => {
      // -1: a later fsync has ended first and resolved its callers already.
      const position = this.running.indexOf(entry);
      if (error && position >= 0) {
        this.running.splice(position, 1);
        for (const waiter of waiters) waiter.reject(error);
      } else if (!error) {
        // It covers every fsync started before it, ended or not.
        for (const covered of this.running.splice(0, position + 1)) for (const waiter of covered.waiters) waiter.resolve();
      }
      if (this.waiting.length > 0 && this.running.length < maxRunning) this.run();
      else if (this.running.length === 0 && this.stopping) this.close();
    });
  }

  private close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
