import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the worker copies the WAL's new pages into the database file. */
const checkpointIntervalMs = 100;
/** How long `stop()` waits for the worker to close its connection (a checkpoint under way first). */
const stopTimeoutMs = 5_000;

/**
 * The worker's code, CommonJS (as `eval` workers are): its own connection to the store, a PASSIVE
 * checkpoint every interval (it waits for no reader or writer), and on `stop` its connection closed, told
 * through the shared flag. A failing checkpoint ends the worker with its error.
 */
const workerCode = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
const timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  Atomics.store(workerData.stopped, 0, 1);
  Atomics.notify(workerData.stopped, 0);
  parentPort.close();
});
`;

/**
 * Checkpoints the store's WAL from a worker thread. A checkpoint fsyncs the WAL, copies its pages into the
 * database file and fsyncs that: run by SQLite's automatic checkpoint, inside the commit that crossed
 * `wal_autocheckpoint`, it held the event loop (every connection and the HTTP API) for tens of milliseconds
 * about once a second under load. The main connection keeps a far larger automatic checkpoint, which then
 * has only the pages this one has not copied yet (see `EmbeddedStore`).
 */
export class WalCheckpointer {
  private worker: Worker | null = null;
  private readonly stopped = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    private readonly dbPath: string,
    /** Told when the worker has ended by itself (its checkpoint failed); the automatic checkpoint takes over. */
    private readonly onFailure: (error: unknown) => void,
  ) {}

  start(): void {
    Atomics.store(this.stopped, 0, 0);
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(workerCode, {
      eval: true,
      workerData: { driver, path: this.dbPath, intervalMs: checkpointIntervalMs, stopped: this.stopped },
    });
    worker.on('error', (error) => this.onFailure(error));
    worker.on('exit', () => Atomics.store(this.stopped, 0, 1));
    // The process may exit while it checkpoints: SQLite's locks keep the store consistent.
    worker.unref();
    this.worker = worker;
  }

  /** Returns once the worker has closed its connection: the store is then the main connection's alone. */
  stop(): void {
    const worker = this.worker;
    this.worker = null;
    if (!worker || Atomics.load(this.stopped, 0) === 1) return;
    worker.postMessage('stop');
    Atomics.wait(this.stopped, 0, 0, stopTimeoutMs);
  }
}
