/**
 * A stand-in for `@temporalio/workflow` that runs workflow code on a virtual clock, for unit
 * tests of the workflow's own logic without a server (jest.mock('@temporalio/workflow', ...)).
 * It keeps only what the rollout workflow's stage loop relies on: conditions with and without a
 * timeout, checked after every step as Temporal checks them after every activation; timers that
 * fire in the order they were started when they are due at the same moment; activities that
 * complete at once (so no virtual time passes while one runs); handlers that a test calls as a
 * client would send an Update. Child workflows and continue-as-new are not offered.
 *
 * It is not Temporal: what it proves is what the workflow code decides, not how the server
 * records it. The integration tests cover that.
 */

interface Waiter {
  seq: number;
  ready: () => boolean;
  deadline?: number;
  resolve: (satisfied: boolean) => void;
}

interface Registered {
  handler: (input: never) => unknown;
  validator?: (input: never) => void;
}

type Activity = (input: never) => unknown;

/** VirtualRuntime is the clock, the pending conditions and the handlers of one workflow run. */
export class VirtualRuntime {
  now = 0;
  private seq = 0;
  private readonly waiters = new Set<Waiter>();
  readonly handlers = new Map<string, Registered>();
  activities: Record<string, Activity> = {};

  reset(start: number, activities: Record<string, Activity>): void {
    this.now = start;
    this.waiters.clear();
    this.handlers.clear();
    this.activities = activities;
    jest.setSystemTime(start);
  }

  condition(ready: () => boolean, timeoutMs?: number): Promise<boolean> {
    return new Promise((resolve) => {
      this.waiters.add({ seq: this.seq++, ready, ...(timeoutMs !== undefined ? { deadline: this.now + Math.max(1, timeoutMs) } : {}), resolve });
    });
  }

  /** settle lets the workflow run until it waits: every satisfied condition resolves, one at a time, in the order they were made. */
  async settle(): Promise<void> {
    for (;;) {
      await flush();
      const ready = [...this.waiters].sort((a, b) => a.seq - b.seq).find((waiter) => waiter.ready());
      if (ready === undefined) return;
      this.waiters.delete(ready);
      ready.resolve(true);
    }
  }

  /** nextDeadline is when the earliest pending timer fires; undefined when only a message can move the workflow. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const waiter of this.waiters) if (waiter.deadline !== undefined && (next === undefined || waiter.deadline < next)) next = waiter.deadline;
    return next;
  }

  /** advanceTo moves the clock to `at` and fires the timers due then, in the order they were started. */
  async advanceTo(at: number): Promise<void> {
    this.now = at;
    jest.setSystemTime(at);
    const due = [...this.waiters].filter((waiter) => waiter.deadline !== undefined && waiter.deadline <= at).sort((a, b) => a.seq - b.seq);
    for (const waiter of due) {
      if (!this.waiters.has(waiter)) continue;
      this.waiters.delete(waiter);
      waiter.resolve(false);
      await this.settle();
    }
  }

  /** update calls a registered Update as a client would: the validator first, then the handler. */
  async update(name: string, input: unknown): Promise<unknown> {
    const registered = this.handlers.get(name);
    if (registered === undefined) throw new Error(`no handler for ${name}`);
    registered.validator?.(input as never);
    const result = registered.handler(input as never);
    await this.settle();
    return result;
  }

  query(name: string): unknown {
    return this.handlers.get(name)!.handler(undefined as never);
  }
}

export const runtime = new VirtualRuntime();

/** flush lets every promise continuation that is ready run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

const notOffered = (what: string) => () => {
  throw new Error(`${what} is not offered by the virtual workflow runtime`);
};

/** workflowModule is what `@temporalio/workflow` exports, as far as the rollout workflow's stage loop uses it. */
export const workflowModule = {
  condition: (ready: () => boolean, timeout?: number) => runtime.condition(ready, timeout),
  sleep: (ms: number) => runtime.condition(() => false, ms).then(() => undefined),
  // Runs are recorded with every patch, but the cancellation shield, which needs cancellation scopes.
  patched: (id: string) => id !== 'cancellation-as-abort',
  proxyActivities: () =>
    new Proxy({}, { get: (_target, name: string) => async (input: never) => (runtime.activities[name] ?? notOffered(`activity ${name}`))(input) }),
  setHandler: (definition: { name: string }, handler: Registered['handler'], options?: { validator?: Registered['validator'] }) =>
    runtime.handlers.set(definition.name, { handler, ...(options?.validator ? { validator: options.validator } : {}) }),
  defineSignal: (name: string) => ({ name, type: 'signal' }),
  defineQuery: (name: string) => ({ name, type: 'query' }),
  defineUpdate: (name: string) => ({ name, type: 'update' }),
  workflowInfo: () => ({ workflowId: 'rollout-virtual', runId: 'virtual', continueAsNewSuggested: false }),
  upsertSearchAttributes: () => undefined,
  allHandlersFinished: () => true,
  getExternalWorkflowHandle: () => ({ signal: async () => undefined }),
  ApplicationFailure: { create: ({ message, type }: { message: string; type: string }) => Object.assign(new Error(message), { type }) },
  CancelledFailure: class CancelledFailure extends Error {},
  startChild: notOffered('startChild'),
  continueAsNew: notOffered('continueAsNew'),
  // No cancellation is ever requested here: the current scope is never cancelled, and a non-cancellable one is the same.
  CancellationScope: { current: () => ({ consideredCancelled: false }), nonCancellable: <T>(fn: () => T): T => fn() },
  isCancellation: () => false,
  ParentClosePolicy: {},
};
