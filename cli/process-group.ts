import type { ChildProcess } from 'node:child_process';

/** ProcessExit is how a child process ended: an exit code, a signal, or neither if it never ran. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** SupervisedGroup is a server started in a process group of its own (spawned with `detached: true`). */
export interface SupervisedGroup {
  /** exited settles once the process has ended. */
  exited: Promise<ProcessExit>;
  /** running is true until the process has ended. */
  running(): boolean;
  /** signal sends signal to the whole group: the server and whatever it started. */
  signal(signal: NodeJS.Signals): void;
}

/**
 * superviseGroup watches child, the leader of its own process group, and sends the group
 * lastResort if this process exits without having stopped it (an uncaught error), so that no
 * server is left behind. A group of its own keeps a terminal's Ctrl-C from reaching the server
 * directly, so the stack can stop it last, in its own order.
 */
export function superviseGroup(child: ChildProcess, lastResort: NodeJS.Signals): SupervisedGroup {
  const exited = new Promise<ProcessExit>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', () => resolve({ code: null, signal: null }));
  });
  const onExit = () => signalGroup(child, lastResort);
  process.on('exit', onExit);
  let running = true;
  void exited.then(() => {
    running = false;
    process.off('exit', onExit);
  });
  return { exited, running: () => running, signal: (signal) => signalGroup(child, signal) };
}

/** signalGroup signals child's process group, or child alone when it leads none. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}
