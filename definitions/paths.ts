import { isAlias, isMap, isNode, isScalar, isSeq, visit, type Alias, type Document, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';

import type { PlanPath } from './format-path';
import type { Locator } from './locator';

export { formatPath, type PlanPath } from './format-path';

/** keyText is the text of a scalar map key, as it appears among the keys of the parsed object. */
export function keyText(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}

/** pairFor finds the pair holding `key`; the last one, because the later of duplicate keys wins when the YAML is read. */
export function pairFor(map: YAMLMap, key: string): Pair | undefined {
  let found: Pair | undefined;
  for (const pair of map.items) {
    if (keyText(pair.key) === key) found = pair;
  }
  return found;
}

/**
 * locate follows `path` from the document root, through aliases, and returns the node at its
 * end or, when part of the path does not exist, the deepest node that does (for a missing key,
 * the map that lacks it). A key present without a value yields the key node.
 */
export function locate(doc: Document, path: PlanPath): Node | undefined {
  let node = resolve(doc, doc.contents);
  for (const step of path) {
    if (isMap(node) && typeof step === 'string') {
      const pair = pairFor(node, step);
      if (!pair) return node;
      const value = resolve(doc, pair.value);
      if (!value) return isScalar(pair.key) ? pair.key : node;
      node = value;
    } else if (isSeq(node) && typeof step === 'number') {
      const item = resolve(doc, node.items[step]);
      if (!item) return node;
      node = item;
    } else {
      return node;
    }
  }
  return node;
}

/** locateKey is the key node of the map entry at `path`, or what locate finds when there is none. */
export function locateKey(doc: Document, path: PlanPath): Node | undefined {
  const parent = locate(doc, path.slice(0, -1));
  const key = path[path.length - 1];
  const pair = isMap(parent) && typeof key === 'string' ? pairFor(parent, key) : undefined;
  return isScalar(pair?.key) ? pair.key : locate(doc, path);
}

/** documentLocator answers a Locator's questions with locate and locateKey on the yaml package's document. */
export function documentLocator(doc: Document, lineCounter: LineCounter): Locator {
  return {
    offsetOf: (path) => startOf(locate(doc, path)),
    keyOffsetOf: (path) => startOf(locateKey(doc, path)),
    position: (offset) => {
      const { line, col } = lineCounter.linePos(offset);
      return { line, column: col };
    },
  };
}

/**
 * pathAtOffset is the path of the innermost map entry or list item containing the source
 * offset; an entry spans from its key to the end of its value, tags and anchors included.
 */
export function pathAtOffset(doc: Document, offset: number): PropertyKey[] {
  const path: PropertyKey[] = [];
  let node: unknown = doc.contents;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => within(offset, beginOf(p.key), endOf(p.value) ?? endOf(p.key)));
      const key = pair && keyText(pair.key);
      if (!pair || key === undefined) return path;
      path.push(key);
      if (within(offset, beginOf(pair.key), endOf(pair.key))) return path;
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => within(offset, beginOf(item), endOf(item)));
      if (index < 0) return path;
      path.push(index);
      node = node.items[index];
    } else {
      return path;
    }
  }
}

/** valueAt reads the parsed value at `path`, or undefined where the path leads nowhere. */
export function valueAt(data: unknown, path: PlanPath): unknown {
  let value = data;
  for (const step of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[step];
  }
  return value;
}

/** startOf is the source offset where a node starts. */
export function startOf(node: Node | undefined): number {
  return node?.range?.[0] ?? 0;
}

function beginOf(node: unknown): number | undefined {
  return isNode(node) ? node.range?.[0] : undefined;
}

function endOf(node: unknown): number | undefined {
  return isNode(node) ? node.range?.[2] : undefined;
}

function within(offset: number, start: number | undefined, end: number | undefined): boolean {
  return start !== undefined && end !== undefined && start <= offset && offset < Math.max(end, start + 1);
}

function resolve(doc: Document, node: unknown): Node | undefined {
  if (isAlias(node)) return aliasTargets(doc).get(node) ?? node;
  return isMap(node) || isSeq(node) || isScalar(node) ? node : undefined;
}

const targetsByDoc = new WeakMap<Document, Map<Alias, Node>>();

/** aliasTargets maps each alias to its anchored node (the last one so named before it), found in one pass. */
function aliasTargets(doc: Document): Map<Alias, Node> {
  let targets = targetsByDoc.get(doc);
  if (targets) return targets;
  targets = new Map();
  const anchored = new Map<string, Node>();
  visit(doc, (_key, node) => {
    if (isAlias(node)) {
      const target = anchored.get(node.source);
      if (target) targets.set(node, target);
    } else if (isNode(node) && node.anchor) {
      anchored.set(node.anchor, node);
    }
  });
  targetsByDoc.set(doc, targets);
  return targets;
}
