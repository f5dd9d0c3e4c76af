import { checkGraph, readyStages, topologicalOrder, type GraphStage } from '../../definitions/graph';

function stage(id: string, ...dependsOn: string[]): GraphStage {
  return { id, dependsOn };
}

const diamond = [stage('a'), stage('b', 'a'), stage('c', 'a'), stage('d', 'b', 'c')];

describe('topologicalOrder', () => {
  it('orders a diamond', () => {
    expect(checkGraph(diamond)).toEqual([]);
    expect(topologicalOrder(diamond)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('breaks ties by plan order, whatever order the stages are listed in', () => {
    expect(topologicalOrder([stage('a'), stage('c', 'a'), stage('b', 'a'), stage('d', 'b', 'c')])).toEqual(['a', 'c', 'b', 'd']);
    expect(topologicalOrder([stage('d', 'b', 'c'), stage('b', 'a'), stage('a'), stage('c', 'a')])).toEqual(['a', 'b', 'c', 'd']);
    expect(topologicalOrder([stage('z'), stage('y', 'x'), stage('x')])).toEqual(['z', 'x', 'y']);
  });

  it('throws on an invalid graph', () => {
    expect(() => topologicalOrder([stage('a', 'b'), stage('b', 'a')])).toThrow('the stage graph is invalid: dependency cycle: a → b → a');
  });

  it('handles long chains without deep recursion', () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => (i === 0 ? stage('s0') : stage(`s${i}`, `s${i - 1}`)));
    const order = topologicalOrder([...chain].reverse());
    expect(order).toHaveLength(20_000);
    expect(order[0]).toBe('s0');
    expect(order[19_999]).toBe('s19999');
  });
});

describe('readyStages', () => {
  it('follows a diamond from start to end', () => {
    expect(readyStages(diamond, new Set(), new Set())).toEqual(['a']);
    expect(readyStages(diamond, new Set(), new Set(['a']))).toEqual([]);
    expect(readyStages(diamond, new Set(['a']), new Set(['a']))).toEqual(['b', 'c']);
    expect(readyStages(diamond, new Set(['a', 'b']), new Set(['a', 'b', 'c']))).toEqual([]);
    expect(readyStages(diamond, new Set(['a', 'b', 'c']), new Set(['a', 'b', 'c']))).toEqual(['d']);
    expect(readyStages(diamond, new Set(['a', 'b', 'c', 'd']), new Set(['a', 'b', 'c', 'd']))).toEqual([]);
  });

  it('lists parallel stages in plan order and treats passed stages as started', () => {
    const stages = [stage('root'), stage('z', 'root'), stage('m', 'root'), stage('a', 'root')];
    expect(readyStages(stages, new Set(['root']), new Set(['root']))).toEqual(['z', 'm', 'a']);
    expect(readyStages(stages, new Set(['root', 'm']), new Set(['root']))).toEqual(['z', 'a']);
  });
});

describe('checkGraph', () => {
  it('reports a cycle once, in rollout order from its earliest stage', () => {
    // b waits for a, c for b, a for c.
    expect(checkGraph([stage('a', 'c'), stage('b', 'a'), stage('c', 'b')])).toEqual([
      { kind: 'cycle', path: ['stages', 0, 'dependsOn', 0], message: 'dependency cycle: a → b → c → a' },
    ]);
  });

  it('reports each distinct cycle', () => {
    const stages = [stage('a', 'b'), stage('b', 'a', 'c'), stage('c', 'b'), stage('x', 'y'), stage('y', 'x')];
    expect(checkGraph(stages)).toEqual([
      { kind: 'cycle', path: ['stages', 0, 'dependsOn', 0], message: 'dependency cycle: a → b → a' },
      { kind: 'cycle', path: ['stages', 1, 'dependsOn', 1], message: 'dependency cycle: b → c → b' },
      { kind: 'cycle', path: ['stages', 3, 'dependsOn', 0], message: 'dependency cycle: x → y → x' },
    ]);
  });

  it('reports unknown dependencies with their stage and entry index', () => {
    expect(checkGraph([stage('a'), stage('b', 'a', 'nope')])).toEqual([
      { kind: 'unknown-dependency', path: ['stages', 1, 'dependsOn', 1], message: 'stage "b" depends on unknown stage "nope"' },
    ]);
  });

  it('reports each duplicate id at the later stage', () => {
    expect(checkGraph([stage('a'), stage('b'), stage('a'), stage('a')])).toEqual([
      { kind: 'duplicate-id', path: ['stages', 2, 'id'], message: 'duplicate stage id "a": stages[0] already uses it' },
      { kind: 'duplicate-id', path: ['stages', 3, 'id'], message: 'duplicate stage id "a": stages[0] already uses it' },
    ]);
  });

  it('reports a self-dependency, not also as a cycle', () => {
    expect(checkGraph([stage('a'), stage('b', 'a', 'b')])).toEqual([
      { kind: 'self-dependency', path: ['stages', 1, 'dependsOn', 1], message: 'stage "b" depends on itself' },
    ]);
  });

  it('reports all kinds of problems together', () => {
    const problems = checkGraph([stage('a', 'a'), stage('a'), stage('b', 'c'), stage('c', 'b', 'ghost')]);
    expect(problems.map((problem) => problem.kind)).toEqual(['duplicate-id', 'self-dependency', 'unknown-dependency', 'cycle']);
  });
});
