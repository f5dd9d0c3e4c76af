/**
 * A structural diff of two plans (or any two JSON values): what was added, removed or changed,
 * each at its path. Pure: no I/O.
 *
 * Lists whose items all carry a distinct string `id` (stages, prerequisites) are matched by id,
 * not by position, and their paths name the id (`stages[shadow].minDuration`), so inserting a
 * stage reports that one stage as added rather than every later one as changed. When the items
 * the two versions share come in a different order, the list itself is reported as changed,
 * from the old order of ids to the new one. Other lists of objects are compared item by item;
 * lists of plain values (dependsOn, members, waves) are compared whole.
 */

export const ChangeKind = {
  added: 'added',
  removed: 'removed',
  changed: 'changed',
} as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

/** PlanChange: `from` is absent for an addition and `to` for a removal. */
export type PlanChange = { path: string; change: ChangeKind; from?: unknown; to?: unknown };

/**
 * diffPlans lists the changes from one version to the next: in the order of the first
 * version, then what only the second one has.
 */
export function diffPlans(from: unknown, to: unknown): PlanChange[] {
  const changes: PlanChange[] = [];
  diffValues(from, to, '', changes);
  return changes;
}

function diffValues(from: unknown, to: unknown, path: string, changes: PlanChange[]): void {
  if (isRecord(from) && isRecord(to)) {
    diffRecords(from, to, path, changes);
  } else if (Array.isArray(from) && Array.isArray(to) && from.length + to.length > 0 && from.every(isRecord) && to.every(isRecord)) {
    const fromIds = idsOf(from);
    const toIds = idsOf(to);
    if (fromIds !== undefined && toIds !== undefined) diffById(from, to, fromIds, toIds, path, changes);
    else diffByIndex(from, to, path, changes);
  } else if (!sameValue(from, to)) {
    changes.push({ path: path || '(plan)', change: ChangeKind.changed, from, to });
  }
}

function diffRecords(from: Record<string, unknown>, to: Record<string, unknown>, path: string, changes: PlanChange[]): void {
  for (const key of Object.keys(from)) {
    const at = keyPath(path, key);
    if (!Object.prototype.hasOwnProperty.call(to, key)) changes.push({ path: at, change: ChangeKind.removed, from: from[key] });
    else diffValues(from[key], to[key], at, changes);
  }
  for (const key of Object.keys(to)) {
    if (!Object.prototype.hasOwnProperty.call(from, key)) changes.push({ path: keyPath(path, key), change: ChangeKind.added, to: to[key] });
  }
}

function diffById(from: unknown[], to: unknown[], fromIds: string[], toIds: string[], path: string, changes: PlanChange[]): void {
  const toIndex = new Map(toIds.map((id, i) => [id, i]));
  const fromIndex = new Map(fromIds.map((id, i) => [id, i]));
  const sharedBefore = fromIds.filter((id) => toIndex.has(id));
  const sharedAfter = toIds.filter((id) => fromIndex.has(id));
  if (sharedBefore.some((id, i) => sharedAfter[i] !== id)) {
    changes.push({ path: path || '(plan)', change: ChangeKind.changed, from: fromIds, to: toIds });
  }
  fromIds.forEach((id, i) => {
    const j = toIndex.get(id);
    const at = `${path}[${id}]`;
    if (j === undefined) changes.push({ path: at, change: ChangeKind.removed, from: from[i] });
    else diffValues(from[i], to[j], at, changes);
  });
  toIds.forEach((id, j) => {
    if (!fromIndex.has(id)) changes.push({ path: `${path}[${id}]`, change: ChangeKind.added, to: to[j] });
  });
}

function diffByIndex(from: unknown[], to: unknown[], path: string, changes: PlanChange[]): void {
  const shared = Math.min(from.length, to.length);
  for (let i = 0; i < shared; i++) diffValues(from[i], to[i], `${path}[${i}]`, changes);
  for (let i = shared; i < from.length; i++) changes.push({ path: `${path}[${i}]`, change: ChangeKind.removed, from: from[i] });
  for (let i = shared; i < to.length; i++) changes.push({ path: `${path}[${i}]`, change: ChangeKind.added, to: to[i] });
}

/** idsOf gives the items' ids when every item is an object with a string id and no id repeats. */
function idsOf(items: unknown[]): string[] | undefined {
  const ids = items.map((item) => (isRecord(item) && typeof item.id === 'string' ? item.id : undefined));
  if (ids.some((id) => id === undefined)) return undefined;
  return new Set(ids).size === ids.length ? (ids as string[]) : undefined;
}

/** keyPath extends a path by an object key: `.key`, or `["key"]` when the key is not a plain name. */
function keyPath(path: string, key: string): string {
  if (!/^[A-Za-z_$][\w$-]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && sameValue(a[key], b[key]));
  }
  return Object.is(a, b);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
