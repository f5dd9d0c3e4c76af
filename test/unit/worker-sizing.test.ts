import { loadEnv } from '../../config/env';
import { DEFAULT_WORKER_SIZING, workerSizing } from '../../config/worker-sizing';

describe('worker sizing from the environment', () => {
  it('is explicit by default', () => {
    expect(workerSizing(loadEnv({}))).toEqual(DEFAULT_WORKER_SIZING);
  });

  it('reads each setting', () => {
    const sizing = workerSizing(
      loadEnv({
        ROLLGATE_WORKER_MAX_CACHED_WORKFLOWS: '800',
        ROLLGATE_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '10',
        ROLLGATE_WORKER_MAX_CONCURRENT_ACTIVITIES: '50',
        ROLLGATE_WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '20',
        ROLLGATE_WORKER_REUSE_V8_CONTEXT: 'false',
      }),
    );
    expect(sizing).toEqual({ maxCachedWorkflows: 800, maxConcurrentWorkflowTaskExecutions: 10, maxConcurrentActivityTaskExecutions: 50, maxConcurrentLocalActivityExecutions: 20, reuseV8Context: false });
    expect(workerSizing(loadEnv({ ROLLGATE_WORKER_MAX_CACHED_WORKFLOWS: '0' })).maxCachedWorkflows).toBe(0);
  });

  it('names the setting that is wrong', () => {
    expect(() => loadEnv({ ROLLGATE_WORKER_MAX_CACHED_WORKFLOWS: 'many' })).toThrow(/ROLLGATE_WORKER_MAX_CACHED_WORKFLOWS/);
    expect(() => loadEnv({ ROLLGATE_WORKER_MAX_CONCURRENT_ACTIVITIES: '0' })).toThrow(/ROLLGATE_WORKER_MAX_CONCURRENT_ACTIVITIES/);
    expect(() => loadEnv({ ROLLGATE_WORKER_REUSE_V8_CONTEXT: 'yes' })).toThrow(/ROLLGATE_WORKER_REUSE_V8_CONTEXT/);
    expect(() => workerSizing(loadEnv({ ROLLGATE_WORKER_MAX_CACHED_WORKFLOWS: '10', ROLLGATE_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '40' }))).toThrow(
      /ROLLGATE_WORKER_MAX_CACHED_WORKFLOWS: 10 is less than ROLLGATE_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS \(40\)/,
    );
  });
});
