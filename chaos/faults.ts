import type { Pool } from 'pg';
import { sleep } from './api-client';
import type { ManagedProcess } from './processes';
import type { RollgateProcesses } from './rollgate-processes';

export type FaultKind = 'worker-kill' | 'api-kill' | 'temporal-restart' | 'postgres-restart' | 'connection-kill';

/** How long a restarted server stays down unless FaultTargets say otherwise. */
const DEFAULT_DOWN_MS = 3_000;
/** Pause between the kills of a connection-kill burst. */
const BURST_PAUSE_MS = 20;

/** Outage is when a fault's effects may show: from the fault until its component is back. */
export interface Outage {
  kind: FaultKind;
  from: number;
  to: number;
}

/** A restartable server (Temporal, PostgreSQL). */
export interface Restartable {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface FaultTargets {
  processes: RollgateProcesses;
  temporal?: Restartable;
  postgres?: Restartable;
  /** downMs is how long Temporal and PostgreSQL stay down when restarted. */
  downMs?: { temporal?: number; postgres?: number };
  /**
   * admin connects to the database server to end the sessions on database (connection-kill),
   * except those whose application_name is spare (the checker's own).
   */
  admin?: { pool: Pool; database: string; spare?: string };
}

/**
 * FaultInjector injects faults one at a time and records when each was in effect, so that
 * 503s can be told apart: during an outage they are the right answer, outside one they are not.
 */
export class FaultInjector {
  readonly outages: Outage[] = [];
  readonly injected = new Map<FaultKind, number>();
  private nextWorker = 0;

  constructor(private readonly targets: FaultTargets) {}

  /**
   * inject injects one fault and returns once it is in effect (a killed process restarts in the
   * background). A connection-kill with burstMs repeats for that long, so that it also meets
   * connections that are checked out only briefly, e.g. across one call.
   */
  async inject(kind: FaultKind, options: { burstMs?: number } = {}): Promise<void> {
    this.injected.set(kind, (this.injected.get(kind) ?? 0) + 1);
    const outage: Outage = { kind, from: Date.now(), to: Number.POSITIVE_INFINITY };
    this.outages.push(outage);
    const { processes } = this.targets;
    switch (kind) {
      case 'worker-kill': {
        const worker = processes.workers[this.nextWorker++ % processes.workers.length]!;
        await this.killAndRestart(worker, outage);
        return;
      }
      case 'api-kill':
        await this.killAndRestart(processes.apis[0]!, outage);
        return;
      case 'temporal-restart':
        await this.restartServer(this.targets.temporal, 'Temporal', this.targets.downMs?.temporal);
        break;
      case 'postgres-restart':
        await this.restartServer(this.targets.postgres, 'PostgreSQL', this.targets.downMs?.postgres);
        break;
      case 'connection-kill': {
        const admin = this.targets.admin;
        if (!admin) throw new Error('connection-kill needs an admin connection');
        const until = Date.now() + (options.burstMs ?? 0);
        do {
          await admin.pool.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name <> $2`,
            [admin.database, admin.spare ?? ''],
          );
          if (Date.now() < until) await sleep(BURST_PAUSE_MS);
        } while (Date.now() < until);
        break;
      }
    }
    outage.to = Date.now();
  }

  /** killAndRestart SIGKILLs a process and starts it again in the background; the outage ends when it is ready. */
  private async killAndRestart(child: ManagedProcess, outage: Outage): Promise<void> {
    await this.targets.processes.restart(child); // one still restarting from an earlier fault comes back first
    await child.kill('SIGKILL');
    void this.targets.processes.restart(child).then(() => (outage.to = Date.now()));
  }

  private async restartServer(server: Restartable | undefined, name: string, downMs = DEFAULT_DOWN_MS): Promise<void> {
    if (!server) throw new Error(`no ${name} server to restart`);
    await server.stop();
    await sleep(downMs);
    await server.start();
  }

  /** during tells whether time t falls in an outage, or within graceMs after one ended. */
  during(t: number, graceMs: number): boolean {
    return this.outages.some((outage) => t >= outage.from && t <= outage.to + graceMs);
  }
}

/** faultSchedule is the order of a fault run's faults: the one-off faults spread among the worker kills. */
export function faultSchedule(workerKills: number): FaultKind[] {
  const schedule: FaultKind[] = Array.from({ length: workerKills }, () => 'worker-kill');
  const oneOffs: FaultKind[] = ['api-kill', 'postgres-restart', 'temporal-restart'];
  oneOffs.forEach((kind, i) => schedule.splice(Math.round(((i + 1) * (schedule.length + i + 1)) / (oneOffs.length + 1)), 0, kind));
  return schedule;
}
