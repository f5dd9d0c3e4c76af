// Contract (implementation in progress):
export interface WorkerOptions {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  databaseUrl: string;
}
export interface RunningWorker {
  stop(): Promise<void>;
}
export async function startWorker(_options: WorkerOptions): Promise<RunningWorker> {
  throw new Error('not implemented yet');
}
