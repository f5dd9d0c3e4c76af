import path from 'node:path';
import { sleep } from './api-client';
import { freePort, tsxProcess, type ManagedProcess } from './processes';

const RESTART_RETRY_MS = 1_000;

export interface RollgateProcessesOptions {
  temporalAddress: string;
  databaseUrl: string;
  taskQueue: string;
  workers: number;
  apis: number;
  /** logDir receives one log file per process. */
  logDir: string;
}

/**
 * RollgateProcesses runs rollgate's workers (`workers/main.ts`) and API servers (`api/server.ts`)
 * as separate processes, each API on a fixed port so a restart comes back at the same address.
 * Like a supervisor, it restarts a process that died on its own, and counts that as a crash.
 */
export class RollgateProcesses {
  readonly workers: ManagedProcess[] = [];
  readonly apis: ManagedProcess[] = [];
  readonly apiUrls: string[] = [];
  /** crashes lists the processes that ended without being killed, and how. */
  readonly crashes: string[] = [];
  private closing = false;
  private readonly restarting = new Map<ManagedProcess, Promise<void>>();

  private constructor(private readonly options: RollgateProcessesOptions) {}

  static async start(options: RollgateProcessesOptions): Promise<RollgateProcesses> {
    const processes = new RollgateProcesses(options);
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: options.temporalAddress,
      DATABASE_URL: options.databaseUrl,
      ROLLGATE_TASK_QUEUE: options.taskQueue,
      TEMPORAL_NAMESPACE: 'default',
      // info: the readiness lines below are info lines, and the request lines explain a failure.
      LOG_LEVEL: 'info',
    };
    const onUnexpectedExit = (name: string, how: string) => processes.crashed(name, how);
    for (let i = 1; i <= options.workers; i += 1) {
      processes.workers.push(
        tsxProcess({ name: `worker-${i}`, entry: 'workers/main.ts', env, logPath: path.join(options.logDir, `worker-${i}.log`), ready: /worker: polling/, onUnexpectedExit }),
      );
    }
    for (let i = 1; i <= options.apis; i += 1) {
      const port = await freePort();
      processes.apiUrls.push(`http://127.0.0.1:${port}`);
      processes.apis.push(
        tsxProcess({ name: `api-${i}`, entry: 'api/server.ts', env: { ...env, PORT: String(port) }, logPath: path.join(options.logDir, `api-${i}.log`), ready: /api: listening/, onUnexpectedExit }),
      );
    }
    await Promise.all([...processes.workers, ...processes.apis].map((child) => child.start()));
    return processes;
  }

  /** restart starts a killed process again, retrying while its dependencies are down; concurrent calls share one restart. */
  restart(child: ManagedProcess): Promise<void> {
    const pending = this.restarting.get(child);
    if (pending) return pending;
    const restart = (async () => {
      while (!this.closing && !child.running) {
        try {
          await child.start();
        } catch {
          await child.kill();
          await sleep(RESTART_RETRY_MS);
        }
      }
    })().finally(() => this.restarting.delete(child));
    this.restarting.set(child, restart);
    return restart;
  }

  /** settled resolves once no restart is under way. */
  async settled(): Promise<void> {
    while (this.restarting.size > 0) await Promise.all([...this.restarting.values()]);
  }

  async stop(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.restarting.values()]);
    await Promise.all([...this.apis, ...this.workers].map((child) => child.stop()));
  }

  private crashed(name: string, how: string): void {
    if (this.closing) return;
    this.crashes.push(`${name} (${how}) at ${new Date().toISOString()}`);
    const child = [...this.workers, ...this.apis].find((candidate) => candidate.options.name === name);
    if (child) void this.restart(child);
  }
}
