/**
 * The worker threads, from the main thread's side: start them, and when one dies of a bug
 * (an uncaught exception, an abort) start a replacement in its slot, so the cache, which
 * lives in shared memory, and the other workers' connections carry on. Before the
 * replacement starts, `recover` frees what the dead thread held: its locks in the store
 * (locks record their owner), its connection-table slots, its connection gauge.
 */
import { Worker } from 'node:worker_threads';
import type { WorkerData } from './server.ts';

interface WorkerMessage {
  type: string;
  code?: string;
  message?: string;
  graceful?: boolean;
}

export interface WorkerPoolHooks {
  log(line: string): void;
  /** A client sent `shutdown` (with -A). */
  onShutdown?(graceful: boolean): void;
  /** Frees what the dead worker of `slot` held, before its replacement starts. */
  recover(slot: number): void;
}

/** How often a slot may be restarted within RESTART_WINDOW_MS before it is left down: a
 * worker that dies at once on every start would otherwise spin. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 10_000;

export class WorkerPool {
  private readonly workers: (Worker | null)[] = [];
  private readonly recent: number[][] = [];
  private closing = false;
  /** Workers started again after dying. */
  restarts = 0;

  private readonly url: URL;
  private readonly hooks: WorkerPoolHooks;

  constructor(url: URL, hooks: WorkerPoolHooks) {
    this.url = url;
    this.hooks = hooks;
  }

  /** Starts the worker for data.slot; resolves once it listens, rejects if it cannot. */
  start(data: WorkerData): Promise<void> {
    const worker = new Worker(this.url, { workerData: data });
    this.workers[data.slot] = worker;
    return new Promise<void>((resolve, reject) => {
      const starting = (code: number) =>
        reject(new Error(`worker ${data.slot} exited with code ${code} while starting`));
      worker.on('message', (msg: WorkerMessage) => {
        if (msg.type === 'listening') {
          worker.off('exit', starting);
          worker.off('error', reject);
          this.watch(worker, data);
          resolve();
        } else if (msg.type === 'error') {
          reject(Object.assign(new Error(msg.message), { code: msg.code }));
        } else if (msg.type === 'shutdown') {
          this.hooks.onShutdown?.(msg.graceful === true);
        }
      });
      worker.once('error', reject);
      worker.once('exit', starting);
    });
  }

  /** A running worker: log its failure, and replace it when it exits unasked. */
  private watch(worker: Worker, data: WorkerData): void {
    const slot = data.slot;
    worker.on('error', (err) =>
      this.hooks.log(`slabcached: worker ${slot} failed: ${err.stack ?? err}`),
    );
    worker.once('exit', (code) => {
      if (this.closing || this.workers[slot] !== worker) return;
      this.workers[slot] = null;
      const now = Date.now();
      const recent = (this.recent[slot] ?? []).filter((t) => now - t < RESTART_WINDOW_MS);
      this.recent[slot] = recent;
      if (recent.length >= MAX_RESTARTS) {
        this.hooks.log(
          `slabcached: worker ${slot} died (exit code ${code}) ${MAX_RESTARTS} times in ${RESTART_WINDOW_MS / 1000} s; not restarting it`,
        );
        return;
      }
      recent.push(now);
      this.hooks.log(`slabcached: worker ${slot} died (exit code ${code}); starting a replacement`);
      this.hooks.recover(slot);
      this.restarts++;
      this.start(data).catch((err) =>
        this.hooks.log(`slabcached: worker ${slot} could not be restarted: ${err.message}`),
      );
    });
  }

  /** Asks every worker to close its listeners and connections, and waits for them to end. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.workers.map((w) =>
        w === null
          ? undefined
          : new Promise<void>((resolve) => {
              const done = () => resolve();
              w.once('exit', done);
              // The worker exits by itself once closed; terminate only one that hangs.
              const timer = setTimeout(() => w.terminate().then(done, done), 2000);
              w.once('exit', () => clearTimeout(timer));
              w.postMessage({ type: 'close' });
            }),
      ),
    );
  }

  /** Stops every worker at once (a failed start). */
  async terminate(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w?.terminate()));
  }
}
