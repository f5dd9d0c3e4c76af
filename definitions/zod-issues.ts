import { z } from 'zod';
import { Duration } from './schema';
import { closestMatch } from './suggest';
import { formatPath, valueAt, type PlanPath } from './paths';

/**
 * Plain-words messages for zod issues. Checks with a message of their own in the schema keep
 * it; for the rest, `plainErrorMap` marks the issue so that `describeIssue` can word it with
 * the offending value and the schema's knowledge of the path.
 */

const REWORDED = '\u0000reworded';
const REWORDED_CODES: ReadonlySet<string> = new Set(['invalid_type', 'too_small', 'too_big']);

/** plainErrorMap is the per-parse error map to pass to safeParse with the schema given to describeIssue. */
export const plainErrorMap: z.core.$ZodErrorMap = (issue) => (REWORDED_CODES.has(issue.code ?? '') ? REWORDED : undefined);

/**
 * DescribedIssue is one problem in plain words. `at` is the path of the node to point at, and
 * `atKey` says to point at the key of the last step rather than at its value.
 */
export type DescribedIssue = { path: PlanPath; at: PlanPath; atKey?: boolean; message: string };

/** describeIssue words a zod issue; an unknown-keys issue becomes one entry per key. */
export function describeIssue(root: z.ZodType, data: unknown, issue: z.core.$ZodIssue): DescribedIssue[] {
  const path = issue.path;
  const value = valueAt(data, path);
  if (issue.code === 'unrecognized_keys') {
    const present = Object.keys(asRecord(value));
    const allowed = keysOf(schemaAt(root, path));
    const unused = allowed.filter((key) => !present.includes(key));
    return issue.keys.map((key) => {
      const suggestion = closestMatch(key, unused);
      const hint = suggestion
        ? ` (did you mean "${suggestion}"?)`
        : allowed.length > 0
          ? `; allowed here: ${allowed.join(', ')}`
          : '';
      return { path: [...path, key], at: [...path, key], atKey: true, message: `${prefix(path)}unknown key "${key}"${hint}` };
    });
  }
  if (issue.message !== REWORDED) {
    const quoted = typeof value === 'string' && (issue.code === 'invalid_format' || issue.code === 'custom');
    return [{ path, at: path, message: `${prefix(path)}${quoted ? `${show(value)} ` : ''}${issue.message}` }];
  }
  if (issue.code === 'invalid_type' && value === undefined && path.length > 0) {
    const parent = path.slice(0, -1);
    return [{ path, at: parent, message: `${prefix(parent)}missing required key "${String(path[path.length - 1])}"` }];
  }
  return [{ path, at: path, message: `${prefix(path)}${reword(issue, value, schemaAt(root, path))}` }];
}

/** requiredKeys lists the keys an object schema cannot do without, in schema order. */
export function requiredKeys(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape)
    .filter(([, field]) => !(field as z.ZodType).safeParse(undefined).success)
    .map(([key]) => key);
}

/** describeValue names a parsed YAML value for a message: `30`, `"6 weeks"`, `a list`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return show(value);
}

function reword(issue: z.core.$ZodIssue, value: unknown, schema: z.ZodType | undefined): string {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = schema === Duration ? 'a duration such as 6w or 14d' : (EXPECTED[issue.expected] ?? issue.expected);
      return `expected ${expected}, got ${describeValue(value)}`;
    }
    case 'too_small':
      return bound('at least', issue.origin, Number(issue.minimum), value);
    case 'too_big':
      return bound('at most', issue.origin, Number(issue.maximum), value);
    default:
      return issue.message;
  }
}

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

function bound(relation: 'at least' | 'at most', origin: string, limit: number, value: unknown): string {
  if (origin === 'string') {
    return relation === 'at least' && limit === 1 ? 'must not be empty' : `must be ${relation} ${limit} characters long`;
  }
  if (origin === 'array') return `needs ${relation} ${limit} ${limit === 1 ? 'entry' : 'entries'}`;
  return `must be ${relation} ${limit}, got ${describeValue(value)}`;
}

function prefix(path: PlanPath): string {
  return path.length === 0 ? '' : `${formatPath(path)}: `;
}

function show(value: unknown): string {
  if (typeof value !== 'string') return String(value);
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** schemaAt finds the schema that validates the value at `path`, looking through defaults and optionals. */
function schemaAt(root: z.ZodType, path: PlanPath): z.ZodType | undefined {
  let schema: z.ZodType | undefined = unwrap(root);
  for (const step of path) {
    if (schema instanceof z.ZodObject && typeof step === 'string') schema = (schema.shape as Record<string, z.ZodType>)[step];
    else if (schema instanceof z.ZodArray && typeof step === 'number') schema = schema.element as z.ZodType;
    else return undefined;
    schema = schema && unwrap(schema);
  }
  return schema;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let inner = schema;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional || inner instanceof z.ZodNullable) {
    inner = inner.unwrap() as z.ZodType;
  }
  return inner;
}

function keysOf(schema: z.ZodType | undefined): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}
