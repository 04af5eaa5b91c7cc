// Runs fuzz jobs in child processes (tsx), one job at a time per child, with a watchdog: a job
// that never answers (an infinite loop) or kills its child (a crash, running out of heap) is
// reported as a failure of that job, and a fresh child takes over the remaining jobs.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface PoolOptions<J, R> {
  /** Absolute path of the child's entry file, which calls `serveJobs`. */
  readonly workerScript: string;
  /** Number of child processes; 0 runs every job in this process with `inProcess`. */
  readonly workers: number;
  /** A job with no answer after this long counts as a hang: its child is killed and replaced. */
  readonly timeoutMs: number;
  /** Heap limit of each child in MiB, so that a runaway allocation fails fast. */
  readonly heapMiB?: number;
  /** Extra environment variables for the children. */
  readonly env?: Readonly<Record<string, string>>;
  readonly inProcess?: (job: J) => R;
  readonly onResult: (job: J, result: R, index: number) => void;
  readonly onFailure: (job: J, reason: string, index: number) => void;
}

interface Request<J> { readonly id: number; readonly job: J }
interface Reply<R> { readonly id: number; readonly result?: R; readonly error?: string }
/** A child's first message: it has loaded its modules; job timers start only from here. */
interface Ready { readonly ready: true }

/** How long a child may take to load (tsx, the engine) before it counts as dead. */
const STARTUP_MS = 120_000;

/** Runs every job; resolves when each one has a result or a failure. */
export async function runPool<J, R>(jobs: readonly J[], options: PoolOptions<J, R>): Promise<void> {
  if (options.workers <= 0) {
    const run = options.inProcess;
    if (run === undefined) throw new Error('Cannot run jobs in process: no "inProcess" handler');
    jobs.forEach((job, i) => {
      try {
        options.onResult(job, run(job), i);
      } catch (e) {
        options.onFailure(job, `Job threw ${e instanceof Error ? e.stack ?? e.message : String(e)}`, i);
      }
    });
    return;
  }
  let next = 0;
  let live = 0;
  // Children that died before becoming ready, in a row: a broken worker script, not a bad job.
  let deadOnArrival = 0;
  await new Promise<void>((resolve) => {
    const start = (): void => {
      if (next >= jobs.length) return;
      live++;
      const child: ChildProcess = fork(options.workerScript, [], {
        cwd: repoRoot,
        execArgv: ['--import', 'tsx', `--max-old-space-size=${options.heapMiB ?? 1024}`],
        serialization: 'advanced',
        env: { ...process.env, ...options.env },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      let pending: number | undefined;
      let timer: NodeJS.Timeout | undefined;
      let failed = false;
      let ready = false;
      const startup = setTimeout(() => child.kill('SIGKILL'), STARTUP_MS);
      const assign = (): void => {
        if (next >= jobs.length) {
          pending = undefined;
          child.disconnect();
          return;
        }
        pending = next++;
        child.send({ id: pending, job: jobs[pending] } satisfies Request<J>);
        timer = setTimeout(() => {
          failed = true;
          if (pending !== undefined) options.onFailure(jobs[pending] as J, `No answer after ${options.timeoutMs} ms (hang)`, pending);
          pending = undefined;
          child.kill('SIGKILL');
        }, options.timeoutMs);
      };
      child.on('message', (msg: Reply<R> | Ready) => {
        if ('ready' in msg) {
          clearTimeout(startup);
          ready = true;
          deadOnArrival = 0;
          assign();
          return;
        }
        if (msg.id !== pending) return;
        clearTimeout(timer);
        const job = jobs[msg.id] as J;
        if (msg.error !== undefined) options.onFailure(job, msg.error, msg.id);
        else options.onResult(job, msg.result as R, msg.id);
        assign();
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        clearTimeout(startup);
        if (pending !== undefined && !failed) {
          options.onFailure(jobs[pending] as J, `Worker died (exit code ${code}, signal ${signal})`, pending);
        }
        live--;
        if (!ready && ++deadOnArrival >= 3) {
          while (next < jobs.length) options.onFailure(jobs[next] as J, 'Not run: three workers in a row died while starting', next++);
        }
        if (next < jobs.length) start();
        else if (live === 0) resolve();
      });
    };
    const n = Math.min(options.workers, jobs.length);
    if (n === 0) resolve();
    for (let i = 0; i < n; i++) start();
  });
}

/** Child side: answers each job with `handle`'s result (or the error it threw). */
export function serveJobs<J, R>(handle: (job: J) => R): void {
  process.on('message', (msg: Request<J>) => {
    let reply: Reply<R>;
    try {
      reply = { id: msg.id, result: handle(msg.job) };
    } catch (e) {
      reply = { id: msg.id, error: `Job threw ${e instanceof Error ? e.stack ?? e.message : String(e)}` };
    }
    process.send?.(reply);
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ ready: true } satisfies Ready);
}
