import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { installRuntimeLogger } from '../../workers/main';
import { WORKFLOWS_PATH } from '../../workers/worker';
import { quietLogger } from './temporal';

/**
 * A workflow-only worker in a process of its own, so a test can SIGKILL it the way a crash
 * ends a worker: without shutting down, so the server learns of it only when the worker's
 * sticky queue times out. Usage: workflow-worker-process.ts <temporal address> <task queue>;
 * it prints "ready" once it polls.
 */
async function main(address: string, taskQueue: string): Promise<void> {
  installRuntimeLogger('ERROR');
  const connection = await NativeConnection.connect({ address });
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  const worker = await Worker.create({ connection, namespace: 'default', taskQueue, workflowBundle });
  const running = worker.run();
  process.stdout.write('ready\n');
  await running;
}

const [address, taskQueue] = process.argv.slice(2);
main(address!, taskQueue!).catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
