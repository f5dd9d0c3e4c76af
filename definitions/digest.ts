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
 * depth and no whitespace, so equal data always gives the same text.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const entries = Object.keys(record)
      .sort()
      .filter((key) => record[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
