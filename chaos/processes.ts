import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** The repository root: children run from here so that `tsx` and the sources resolve. */
export const REPO_ROOT = path.resolve(__dirname, '..');

const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 10_000;

/** freePort asks the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface ManagedProcessOptions {
  /** name labels the process in logs and reports, e.g. `worker-1`. */
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** logPath receives stdout and stderr of every incarnation, appended. */
  logPath: string;
  /** ready matches the stdout line that says the process is ready; without it, spawning is ready. */
  ready?: RegExp;
  /** onUnexpectedExit hears of a ready incarnation that ended without kill() or stop() asking it to. */
  onUnexpectedExit?: (name: string, how: string) => void;
}

/**
 * ManagedProcess runs one child in a process group of its own, restartable. It tells the exits
 * it caused (kill, stop) from those it did not: the latter are crashes, which a fault run counts.
 */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private expectingExit = false;

  constructor(readonly options: ManagedProcessOptions) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** start spawns the child and resolves once it printed its ready line (or failed to). */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.options.name} is already running`);
    const log = fs.openSync(this.options.logPath, 'a');
    fs.writeSync(log, `\n--- ${new Date().toISOString()} start ${this.options.name}\n`);
    this.expectingExit = false;
    const child = spawn(this.options.command, this.options.args, {
      cwd: REPO_ROOT,
      env: this.options.env,
      stdio: ['ignore', 'pipe', log],
      detached: true,
    });
    fs.closeSync(log);
    this.child = child;
    // Only an incarnation that became ready can crash; one that fails to start throws from start().
    let becameReady = false;
    const killOnExit = () => signalGroup(child, 'SIGKILL');
    process.on('exit', killOnExit);
    this.exited = new Promise<void>((resolve) => {
      child.on('exit', (code, signal) => {
        process.off('exit', killOnExit);
        if (becameReady && !this.expectingExit) this.options.onUnexpectedExit?.(this.options.name, signal ?? `exit code ${code}`);
        resolve();
      });
      child.on('error', () => resolve());
    });
    const out = fs.createWriteStream(this.options.logPath, { flags: 'a' });
    let buffered = '';
    const ready = new Promise<void>((resolve, reject) => {
      if (this.options.ready === undefined) resolve();
      const timer = setTimeout(() => reject(new Error(`${this.options.name} not ready within ${READY_TIMEOUT_MS} ms; see ${this.options.logPath}`)), READY_TIMEOUT_MS);
      child.stdout!.on('data', (chunk: Buffer) => {
        out.write(chunk);
        buffered = (buffered + chunk.toString('utf8')).slice(-4096);
        if (this.options.ready?.test(buffered)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${this.options.name} exited during start-up; see ${this.options.logPath}`));
      });
    });
    child.stdout!.on('end', () => out.end());
    await ready;
    becameReady = true;
  }

  /** kill sends signal to the process group and waits until the child has gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    this.expectingExit = true;
    signalGroup(this.child!, signal);
    const timer = setTimeout(() => signalGroup(this.child!, 'SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** stop asks the child to end (SIGTERM), then forces it. */
  stop(): Promise<void> {
    return this.kill('SIGTERM');
  }

  /** whenExited resolves when the current incarnation has ended. */
  whenExited(): Promise<void> {
    return this.exited;
  }
}

/** signalGroup signals the child's whole process group (it was spawned detached). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** tsxProcess runs a TypeScript entry point of this repository in a plain node process with tsx loaded. */
export function tsxProcess(
  options: Omit<ManagedProcessOptions, 'command' | 'args'> & { entry: string },
): ManagedProcess {
  return new ManagedProcess({
    ...options,
    command: process.execPath,
    args: ['--import', 'tsx', path.join(REPO_ROOT, options.entry)],
  });
}
