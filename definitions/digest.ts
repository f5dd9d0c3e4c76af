import { createHash } from 'node:crypto';
import type { Plan } from './schema';

/**
 * planDigest identifies a plan's content: `sha256:` and the hex SHA-256 of its canonical JSON.
 * It is computed from the parsed plan (defaults filled in), so edits to comments, layout, key
 * order or quoting keep the digest, and writing out a default value (`count: 1`) does too.
 */
export function planDigest(plan: Plan): string {
  return `sha256:${createHash('sha256').update(canonicalJson(plan), 'utf8').digest('hex')}`;
}

/**
 * canonicalJson is JSON.stringify with object keys sorted (by UTF-16 code units) at every
 * depth and no whitespace, so equal data always gives the same text. It walks the value with
 * an explicit stack rather than recursion, so no nesting depth can overflow the call stack.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  // Work items, last first: a value still to write, or text (a bracket, comma or key) to emit as is.
  const pending: Array<{ value: unknown } | string> = [{ value }];
  while (pending.length > 0) {
    const item = pending.pop()!;
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    const current = item.value;
    if (Array.isArray(current)) {
      pending.push(']');
      for (let i = current.length - 1; i >= 0; i -= 1) {
        pending.push({ value: current[i] === undefined ? null : current[i] });
        if (i > 0) pending.push(',');
      }
      pending.push('[');
    } else if (current !== null && typeof current === 'object') {
      const record = current as Record<string, unknown>;
      const keys = Object.keys(record)
        .sort()
        .filter((key) => record[key] !== undefined);
      pending.push('}');
      for (let i = keys.length - 1; i >= 0; i -= 1) {
        pending.push({ value: record[keys[i]!] });
        pending.push(`${i > 0 ? ',' : ''}${JSON.stringify(keys[i])}:`);
      }
      pending.push('{');
    } else {
      out.push(JSON.stringify(current) ?? 'null');
    }
  }
  return out.join('');
}
