import { z } from 'zod';

/**
 * The worker's sizing, explicit rather than the SDK's defaults, which change between SDK versions
 * (the cache's default depends on the machine's memory). Figures behind the defaults:
 * docs/performance.md "Worker sizing".
 */
export const DEFAULT_WORKER_SIZING = {
  /** maxCachedWorkflows: about 0.3–0.55 MB of RSS each were measured for a one-stage rollout; 1,500 keep a worker near 1.2 GB. */
  maxCachedWorkflows: 1_500,
  maxConcurrentWorkflowTaskExecutions: 40,
  maxConcurrentActivityTaskExecutions: 100,
  maxConcurrentLocalActivityExecutions: 100,
  reuseV8Context: true,
} as const;

export interface WorkerSizing {
  maxCachedWorkflows: number;
  maxConcurrentWorkflowTaskExecutions: number;
  maxConcurrentActivityTaskExecutions: number;
  maxConcurrentLocalActivityExecutions: number;
  reuseV8Context: boolean;
}

const count = (fallback: number, min: number) => z.coerce.number().int().min(min).max(1_000_000).default(fallback);

/** WorkerSizingEnv is the environment's part of the sizing; config/env.ts takes these fields into Env. */
export const WorkerSizingEnv = z.object({
  ROLLGATE_WORKER_MAX_CACHED_WORKFLOWS: count(DEFAULT_WORKER_SIZING.maxCachedWorkflows, 0),
  ROLLGATE_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: count(DEFAULT_WORKER_SIZING.maxConcurrentWorkflowTaskExecutions, 2),
  ROLLGATE_WORKER_MAX_CONCURRENT_ACTIVITIES: count(DEFAULT_WORKER_SIZING.maxConcurrentActivityTaskExecutions, 1),
  ROLLGATE_WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: count(DEFAULT_WORKER_SIZING.maxConcurrentLocalActivityExecutions, 1),
  ROLLGATE_WORKER_REUSE_V8_CONTEXT: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((value) => (value === undefined ? DEFAULT_WORKER_SIZING.reuseV8Context : value === 'true' || value === '1')),
});

/**
 * workerSizing reads the sizing from the parsed environment. A cache smaller than the workflow
 * tasks that may run at once is refused, as the SDK refuses it (a cache of 0 turns caching off).
 */
export function workerSizing(env: z.infer<typeof WorkerSizingEnv>): WorkerSizing {
  const sizing = {
    maxCachedWorkflows: env.ROLLGATE_WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentWorkflowTaskExecutions: env.ROLLGATE_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxConcurrentActivityTaskExecutions: env.ROLLGATE_WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentLocalActivityExecutions: env.ROLLGATE_WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    reuseV8Context: env.ROLLGATE_WORKER_REUSE_V8_CONTEXT,
  };
  if (sizing.maxCachedWorkflows > 0 && sizing.maxCachedWorkflows < sizing.maxConcurrentWorkflowTaskExecutions) {
    throw new Error(
      `Invalid environment:\n  ROLLGATE_WORKER_MAX_CACHED_WORKFLOWS: ${sizing.maxCachedWorkflows} is less than ROLLGATE_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS (${sizing.maxConcurrentWorkflowTaskExecutions}); raise it, or set 0 to turn the cache off`,
    );
  }
  return sizing;
}
