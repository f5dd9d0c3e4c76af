/**
 * The stage graph: stages are nodes, and `dependsOn` entries are edges from a dependency to
 * the stage that waits for it.
 *
 * Pure and deterministic (workflow code imports it): no imports, no I/O, no clocks, and every
 * result is ordered by plan order, never by hash or insertion accidents.
 */

/** GraphStage is the part of a stage the graph functions look at. */
export type GraphStage = { readonly id: string; readonly dependsOn: readonly string[] };

export type GraphProblemKind = 'duplicate-id' | 'unknown-dependency' | 'self-dependency' | 'cycle';

export type GraphProblem = {
  kind: GraphProblemKind;
  /** path locates the offending entry in the plan, e.g. `['stages', 2, 'dependsOn', 0]`. */
  path: Array<string | number>;
  message: string;
};

/**
 * checkGraph reports every problem of the stage graph: each duplicate id (at the later
 * occurrence), each unknown or self-referencing dependsOn entry, and each distinct cycle once.
 *
 * A cycle is written in rollout order (`a → b → c → a`: b depends on a, c on b, a on c),
 * starting at its earliest stage in plan order, and is reported at that stage's dependsOn
 * entry that closes the cycle. Cycles are found as the back edges of a depth-first search
 * in plan order, so the work stays linear however tangled the graph is; when cycles share
 * stages, fixing the reported ones may reveal others.
 */
export function checkGraph(stages: ReadonlyArray<GraphStage>): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const indexOf = firstIndexById(stages);

  stages.forEach((stage, i) => {
    const first = indexOf.get(stage.id);
    if (first !== undefined && first !== i) {
      problems.push({
        kind: 'duplicate-id',
        path: ['stages', i, 'id'],
        message: `duplicate stage id "${stage.id}": stages[${first}] already uses it`,
      });
    }
  });

  stages.forEach((stage, i) => {
    stage.dependsOn.forEach((dep, j) => {
      if (dep === stage.id) {
        problems.push({ kind: 'self-dependency', path: ['stages', i, 'dependsOn', j], message: `stage "${dep}" depends on itself` });
      } else if (!indexOf.has(dep)) {
        problems.push({ kind: 'unknown-dependency', path: ['stages', i, 'dependsOn', j], message: `stage "${stage.id}" depends on unknown stage "${dep}"` });
      }
    });
  });

  problems.push(...findCycles(stages, indexOf));
  return problems;
}

/**
 * topologicalOrder lists the stage ids so that every stage comes after all stages it depends
 * on; among stages that could come next, the earliest in plan order goes first. It throws if
 * checkGraph reports any problem.
 */
export function topologicalOrder(stages: ReadonlyArray<GraphStage>): string[] {
  const problems = checkGraph(stages);
  if (problems.length > 0) {
    throw new Error(`the stage graph is invalid: ${problems.map((p) => p.message).join('; ')}`);
  }
  const indexOf = firstIndexById(stages);
  const waitingOn = stages.map((stage) => new Set(stage.dependsOn).size);
  const dependents = dependentsByIndex(stages, indexOf);
  const ready: number[] = [];
  waitingOn.forEach((count, i) => {
    if (count === 0) heapPush(ready, i);
  });
  const order: string[] = [];
  for (let next = heapPop(ready); next !== undefined; next = heapPop(ready)) {
    order.push(stages[next]!.id);
    for (const dependent of dependents[next]!) {
      waitingOn[dependent]! -= 1;
      if (waitingOn[dependent] === 0) heapPush(ready, dependent);
    }
  }
  return order;
}

/**
 * readyStages lists, in plan order, the ids of the stages that may start now: every stage
 * they depend on has passed, and they have not started (a passed stage counts as started).
 */
export function readyStages(
  stages: ReadonlyArray<GraphStage>,
  passed: ReadonlySet<string>,
  started: ReadonlySet<string>,
): string[] {
  return stages
    .filter((stage) => !started.has(stage.id) && !passed.has(stage.id) && stage.dependsOn.every((dep) => passed.has(dep)))
    .map((stage) => stage.id);
}

/**
 * StageReach answers which stages lie upstream (depended on, directly or through other
 * stages) or downstream of a stage. Lists are in plan order. Unknown dependencies are skipped
 * and cycles tolerated, so it works on unchecked graphs; a stage is listed as its own
 * upstream or downstream only when it is on a cycle.
 */
export type StageReach = {
  upstream(id: string): string[];
  downstream(id: string): string[];
  /** isUpstream tells whether `target` is upstream of `id`, stopping as soon as it is found. */
  isUpstream(target: string, id: string): boolean;
};

/** stageReach indexes the stages once for any number of queries. */
export function stageReach(stages: ReadonlyArray<GraphStage>): StageReach {
  const indexOf = firstIndexById(stages);
  const dependencies = stages.map((stage) => stage.dependsOn.flatMap((dep) => indexOf.get(dep) ?? []));
  let dependents: number[][] | undefined;
  const ids = (indices: number[]): string[] => indices.map((i) => stages[i]!.id);
  return {
    upstream: (id) => ids(reachable(dependencies, indexOf.get(id))),
    downstream: (id) => ids(reachable((dependents ??= dependentsByIndex(stages, indexOf)), indexOf.get(id))),
    isUpstream: (target, id) => {
      const goal = indexOf.get(target);
      return goal !== undefined && reachable(dependencies, indexOf.get(id), goal).includes(goal);
    },
  };
}

/** upstreamStages is stageReach(stages).upstream(id), for a single query. */
export function upstreamStages(stages: ReadonlyArray<GraphStage>, id: string): string[] {
  return stageReach(stages).upstream(id);
}

/** downstreamStages is stageReach(stages).downstream(id), for a single query. */
export function downstreamStages(stages: ReadonlyArray<GraphStage>, id: string): string[] {
  return stageReach(stages).downstream(id);
}

/**
 * reachable lists, ascending, the indices reachable from `start` over at least one edge; with
 * `goal`, it stops as soon as the goal is reached (the list is then partial but holds it).
 * Breadth first, so that near stages, the usual rollback targets, are found quickly.
 */
function reachable(edges: ReadonlyArray<readonly number[]>, start: number | undefined, goal?: number): number[] {
  if (start === undefined) return [];
  const seen = new Set<number>();
  const queue = [start];
  search: for (let head = 0; head < queue.length; head++) {
    for (const next of edges[queue[head]!] ?? []) {
      if (seen.has(next)) continue;
      seen.add(next);
      if (next === goal) break search;
      queue.push(next);
    }
  }
  return [...seen].sort((a, b) => a - b);
}

function firstIndexById(stages: ReadonlyArray<GraphStage>): Map<string, number> {
  const indexOf = new Map<string, number>();
  stages.forEach((stage, i) => {
    if (!indexOf.has(stage.id)) indexOf.set(stage.id, i);
  });
  return indexOf;
}

/** dependentsByIndex gives, per stage index, the distinct indices of the stages that depend on it, ascending. */
function dependentsByIndex(stages: ReadonlyArray<GraphStage>, indexOf: ReadonlyMap<string, number>): number[][] {
  const dependents: number[][] = stages.map(() => []);
  stages.forEach((stage, i) => {
    for (const dep of new Set(stage.dependsOn)) {
      const from = indexOf.get(dep);
      if (from !== undefined && from !== i) dependents[from]!.push(i);
    }
  });
  return dependents;
}

function findCycles(stages: ReadonlyArray<GraphStage>, indexOf: ReadonlyMap<string, number>): GraphProblem[] {
  const dependents = dependentsByIndex(stages, indexOf);
  const state = stages.map(() => 'new' as 'new' | 'open' | 'done');
  const stackPos = stages.map(() => -1);
  const seen = new Set<string>();
  const problems: GraphProblem[] = [];

  for (let root = 0; root < stages.length; root++) {
    if (state[root] !== 'new') continue;
    // Iterative depth-first search: plans may hold thousands of stages in a chain.
    const stack: Array<{ node: number; next: number }> = [{ node: root, next: 0 }];
    state[root] = 'open';
    stackPos[root] = 0;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const edges = dependents[frame.node]!;
      if (frame.next >= edges.length) {
        state[frame.node] = 'done';
        stack.pop();
        continue;
      }
      const to = edges[frame.next++]!;
      if (state[to] === 'new') {
        state[to] = 'open';
        stackPos[to] = stack.length;
        stack.push({ node: to, next: 0 });
      } else if (state[to] === 'open') {
        const cycle = rotateToEarliest(stack.slice(stackPos[to]).map((f) => f.node));
        const key = cycle.join(',');
        if (!seen.has(key)) {
          seen.add(key);
          problems.push(cycleProblem(stages, indexOf, cycle));
        }
      }
    }
  }
  return problems;
}

function rotateToEarliest(cycle: number[]): number[] {
  let start = 0;
  cycle.forEach((node, i) => {
    if (node < cycle[start]!) start = i;
  });
  return [...cycle.slice(start), ...cycle.slice(0, start)];
}

function cycleProblem(stages: ReadonlyArray<GraphStage>, indexOf: ReadonlyMap<string, number>, cycle: number[]): GraphProblem {
  const first = cycle[0]!;
  const closing = cycle[cycle.length - 1]!;
  const entry = stages[first]!.dependsOn.findIndex((dep) => indexOf.get(dep) === closing);
  const ids = cycle.map((i) => stages[i]!.id);
  return {
    kind: 'cycle',
    path: ['stages', first, 'dependsOn', entry],
    message: `dependency cycle: ${[...ids, ids[0]].join(' → ')}`,
  };
}

/** A binary min-heap of stage indices, so ties between ready stages go to plan order. */
function heapPush(heap: number[], value: number): void {
  heap.push(value);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]! <= value) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = value;
}

function heapPop(heap: number[]): number | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (top === undefined || last === undefined || heap.length === 0) return top;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const child = right < heap.length && heap[right]! < heap[left]! ? right : left;
    if (heap[child]! >= last) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = last;
  return top;
}
