import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { LoadOptions, LoadResult } from '../definitions/load';

/** CPU time one plan may take to load; the worst 1 MiB plans take about 1 s. */
export const DEFAULT_PLAN_LOAD_BUDGET_MS = 2_000;
/** Worker threads that load plans: enough for parallel uploads, few enough to leave the cores to the API. */
const THREADS = 2;
/** Uploads waiting for a thread beyond this many are refused (they hold up to 1 MiB each). */
const MAX_QUEUED = 16;
/** How often the watchdog reads a running load's CPU time. */
const WATCH_INTERVAL_MS = 25;
/** Clock ticks a second in /proc/<pid>/task/<tid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

const WORKER_ENTRY = path.join(__dirname, 'plan-load-worker.js');

/** Errors, and warnings, that a load reports at most; the counts say how many there were. */
export const MAX_REPORTED_ISSUES = 100;

/**
 * The outcome of a load in the pool: the loader's result with at most MAX_REPORTED_ISSUES
 * errors and warnings, or why there is none.
 */
export type PooledLoad =
  | (LoadResult & { errorCount: number; warningCount: number })
  | { ok: false; overBudget: true; budgetMs: number }
  | { ok: false; busy: true };

/**
 * PlanLoader runs definitions/load.ts's loadPlan in worker threads (piscina), so that a costly
 * plan does not stall the API's event loop, and stops a load that uses more than its CPU-time
 * budget by ending its thread. Threads start on the first load; close() ends them.
 */
export class PlanLoader {
  private pool?: Piscina;

  constructor(private readonly budgetMs: number = DEFAULT_PLAN_LOAD_BUDGET_MS) {}

  async load(source: Uint8Array, options: LoadOptions): Promise<PooledLoad> {
    // Lower priority (nice +10): where the cores are busy, the API's own thread goes first.
    this.pool ??= new Piscina({ filename: WORKER_ENTRY, minThreads: THREADS, maxThreads: THREADS, idleTimeout: 60_000, niceIncrement: 10 });
    const pool = this.pool;
    if (pool.queueSize >= MAX_QUEUED) return { ok: false, busy: true };
    const { port1, port2 } = new MessageChannel();
    const abort = new AbortController();
    const watchdog = new CpuWatchdog(this.budgetMs, () => abort.abort());
    port1.once('message', ({ tid }: { tid: number | null }) => watchdog.start(tid));
    try {
      const task = { source, options, maxIssues: MAX_REPORTED_ISSUES, started: port2 };
      return (await pool.run(task, { transferList: [port2], signal: abort.signal })) as PooledLoad;
    } catch (error) {
      if (watchdog.fired) return { ok: false, overBudget: true, budgetMs: this.budgetMs };
      throw error;
    } finally {
      watchdog.stop();
      port1.close();
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }
}

/**
 * CpuWatchdog fires once the thread a load runs on has used budgetMs of CPU since the load
 * started, read from /proc; where that cannot be read, once budgetMs of wall time have passed.
 * Time spent waiting in the queue does not count.
 */
class CpuWatchdog {
  fired = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly budgetMs: number,
    private readonly onOverBudget: () => void,
  ) {}

  start(tid: number | null): void {
    const statFile = tid === null ? undefined : `/proc/${process.pid}/task/${tid}/stat`;
    const baseline = statFile ? threadCpuMs(statFile) : undefined;
    const startedAt = Date.now();
    // A stat file that cannot be read any more (the thread has ended) counts as no further use.
    const used = () => (statFile && baseline !== undefined ? (threadCpuMs(statFile) ?? baseline) - baseline : Date.now() - startedAt);
    this.timer = setInterval(() => {
      if (used() < this.budgetMs) return;
      this.fired = true;
      this.stop();
      this.onOverBudget();
    }, WATCH_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** threadCpuMs is a thread's user plus system CPU time from its stat file, undefined when unreadable. */
function threadCpuMs(statFile: string): number | undefined {
  try {
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const stat = fs.readFileSync(statFile, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
