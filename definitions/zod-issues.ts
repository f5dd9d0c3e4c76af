import { z } from 'zod';
import { Duration } from './schema';
import { closestMatch, didYouMean } from './suggest';
import { prefix } from './format-path';
import { valueAt, type PlanPath } from './paths';

/**
 * Plain-words messages for zod issues. Checks with a message of their own in the schema keep
 * it; for the rest, `plainErrorMap` marks the issue so that `describeIssue` can word it with
 * the offending value and the schema's knowledge of the path.
 */

const REWORDED = '\u0000reworded';

/** plainErrorMap is the per-parse error map to pass to safeParse with the schema given to describeIssue. */
export const plainErrorMap: z.core.$ZodErrorMap = () => REWORDED;

/**
 * DescribedIssue is one problem in plain words. `at` is the path of the node to point at, and
 * `atKey` says to point at the key of the last step rather than at its value.
 */
export type DescribedIssue = { path: PlanPath; at: PlanPath; atKey?: boolean; message: string };

/**
 * describeIssue words a zod issue; an unknown-keys issue becomes one entry per key. `data` is
 * the value that was parsed: unions are looked into by the value they were given.
 */
export function describeIssue(root: z.ZodType, data: unknown, issue: z.core.$ZodIssue): DescribedIssue[] {
  const path = issue.path;
  const value = valueAt(data, path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return unknownKeys(root, data, path, issue.keys);
    case 'invalid_key':
      // A key of a record (roles, metrics, labels) breaks the rule for its keys.
      return issue.issues.map((inner) => ({
        path,
        at: path,
        atKey: true,
        message: `${prefix(path.slice(0, -1))}key ${show(String(path[path.length - 1]))} ${inner.message === REWORDED ? 'is not allowed' : inner.message}`,
      }));
    case 'invalid_union':
      return describeUnion(root, data, issue, value);
    default:
      break;
  }
  if (value === undefined && path.length > 0 && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) {
    // A key with a fixed set of values says which, e.g. a missing `mode`.
    return [missingKey(path, issue.code === 'invalid_value' ? issue.values.map(String) : undefined)];
  }
  if (issue.message !== REWORDED) {
    const quoted = typeof value === 'string' && (issue.code === 'invalid_format' || issue.code === 'custom');
    return [{ path, at: path, message: `${prefix(path)}${quoted ? `${show(value)} ` : ''}${issue.message}` }];
  }
  return [{ path, at: path, message: `${prefix(path)}${reword(issue, value, schemaAt(root, path, data))}` }];
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

/** nearest is ` (did you mean "x"?)` for the candidate closest to `word`, or '' when none is close. */
function nearest(word: unknown, candidates: readonly string[]): string {
  return didYouMean(typeof word === 'string' ? closestMatch(word, candidates) : undefined);
}

function unknownKeys(root: z.ZodType, data: unknown, path: PlanPath, keys: string[]): DescribedIssue[] {
  const value = valueAt(data, path);
  const present = Object.keys(asRecord(value));
  const schema = schemaAt(root, path, data);
  const allowed = keysOf(schema && optionFor(schema, value));
  const unused = allowed.filter((key) => !present.includes(key));
  return keys.map((key) => {
    const hint = nearest(key, unused) || (allowed.length > 0 ? `; allowed here: ${allowed.join(', ')}` : '');
    return { path: [...path, key], at: [...path, key], atKey: true, message: `${prefix(path)}unknown key "${key}"${hint}` };
  });
}

function missingKey(path: PlanPath, values?: readonly string[]): DescribedIssue {
  const parent = path.slice(0, -1);
  const oneOf = values === undefined ? '' : `: one of ${values.join(', ')}`;
  return { path, at: parent, message: `${prefix(parent)}missing required key "${String(path[path.length - 1])}"${oneOf}` };
}

/**
 * A value no option of a union accepts gets one message naming what the options accept. The
 * exception is a mapping given where only one option is a mapping: it was clearly meant as
 * that option, so that option's own problems (unknown or missing keys) are more helpful.
 */
function describeUnion(root: z.ZodType, data: unknown, issue: z.core.$ZodIssueInvalidUnion, value: unknown): DescribedIssue[] {
  const path = issue.path;
  if ('discriminator' in issue && issue.discriminator !== undefined) {
    // A discriminated union reports at the discriminator key, e.g. escalation[0].action.
    const options = ('options' in issue ? (issue.options ?? []) : []).map(String);
    if (value === undefined) return [missingKey(path, options)];
    return [{ path, at: path, message: `${prefix(path)}${notOneOf(value, options)}` }];
  }
  const union = schemaAt(root, path, data);
  const options = union instanceof z.ZodUnion ? (union.options as z.ZodType[]).map(unwrap) : [];
  const mappings = options.flatMap((option, i) => (option instanceof z.ZodObject ? [i] : []));
  const only = mappings.length === 1 ? mappings[0]! : -1;
  if (isRecord(value) && only >= 0 && issue.errors[only]) {
    return issue.errors[only].flatMap((inner) => describeIssue(root, data, { ...inner, path: [...path, ...inner.path] } as z.core.$ZodIssue));
  }
  const expected = options.length > 0 ? orList(options.flatMap(expectedOf)) : 'something else';
  const literals = options.flatMap(literalsOf);
  return [{ path, at: path, message: `${prefix(path)}expected ${expected}, got ${describeValue(value)}${nearest(value, literals)}` }];
}

function notOneOf(value: unknown, options: readonly string[]): string {
  if (typeof value === 'string') return `${show(value)} is not one of ${options.join(', ')}${nearest(value, options)}`;
  return `expected one of ${options.join(', ')}, got ${describeValue(value)}`;
}

function reword(issue: z.core.$ZodIssue, value: unknown, schema: z.ZodType | undefined): string {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = schema === Duration ? 'a duration such as 6w or 14d' : (EXPECTED[issue.expected] ?? issue.expected);
      return `expected ${expected}, got ${describeValue(value)}`;
    }
    case 'invalid_value':
      return notOneOf(value, issue.values.map(String));
    case 'invalid_format':
      return issue.format === 'url'
        ? `${show(value)} is not a URL: write the full address, e.g. https://wiki.example.com/page`
        : `${show(value)} is not a valid ${issue.format}`;
    case 'too_small':
      return bound('at least', issue.origin, Number(issue.minimum), value);
    case 'too_big':
      return bound('at most', issue.origin, Number(issue.maximum), value);
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}, got ${describeValue(value)}`;
    default:
      return `${show(value)} is not allowed here`;
  }
}

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/**
 * Placeholders for the value of a key when a message spells out a mapping a union accepts,
 * e.g. `{ rollback: <stage id> }`; other keys show as `<key>`.
 */
const PLACEHOLDERS: Record<string, string> = { rollback: 'stage id' };

/** expectedOf names what one option of a union accepts; an enum contributes each of its values. */
function expectedOf(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodEnum) return schema.options.map(String);
  if (schema instanceof z.ZodLiteral) return [...schema.values].map(String);
  if (schema instanceof z.ZodNumber) return [schema.isInt ? 'a whole number' : 'a number'];
  if (schema instanceof z.ZodString) return ['text'];
  if (schema instanceof z.ZodBoolean) return ['true or false'];
  if (schema instanceof z.ZodArray) return ['a list'];
  if (schema instanceof z.ZodObject) {
    const keys = requiredKeys(schema).map((key) => `${key}: <${PLACEHOLDERS[key] ?? key}>`);
    return [`{ ${keys.join(', ')} }`];
  }
  return ['something else'];
}

function literalsOf(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodEnum) return schema.options.map(String);
  if (schema instanceof z.ZodLiteral) return [...schema.values].filter((v): v is string => typeof v === 'string');
  return [];
}

/** orList joins `a`, `a or b`, `a, b, or c`. */
function orList(items: readonly string[]): string {
  if (items.length <= 2) return items.join(' or ');
  return `${items.slice(0, -1).join(', ')}, or ${items[items.length - 1]}`;
}

function bound(relation: 'at least' | 'at most', origin: string, limit: number, value: unknown): string {
  if (origin === 'string') {
    return relation === 'at least' && limit === 1 ? 'must not be empty' : `must be ${relation} ${limit} characters long`;
  }
  if (origin === 'array') return `needs ${relation} ${limit} ${limit === 1 ? 'entry' : 'entries'}`;
  return `must be ${relation} ${limit}, got ${describeValue(value)}`;
}

function show(value: unknown): string {
  if (typeof value !== 'string') return String(value);
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/**
 * schemaAt finds the schema that validates the value at `path`, looking through defaults,
 * optionals and records, and into unions by the value found in `data` there.
 */
function schemaAt(root: z.ZodType, path: PlanPath, data: unknown): z.ZodType | undefined {
  let schema: z.ZodType | undefined = unwrap(root);
  let value = data;
  for (const step of path) {
    if (!schema) return undefined;
    schema = optionFor(schema, value);
    if (schema instanceof z.ZodObject && typeof step === 'string') schema = (schema.shape as Record<string, z.ZodType>)[step];
    else if (schema instanceof z.ZodArray && typeof step === 'number') schema = schema.element as z.ZodType;
    else if (schema instanceof z.ZodRecord && typeof step === 'string') schema = schema.valueType as z.ZodType;
    else return undefined;
    schema = schema && unwrap(schema);
    value = valueAt(value, [step]);
  }
  return schema;
}

/**
 * optionFor picks the option of a union meant for `value`: by the discriminator of a
 * discriminated union, else the only option of the value's shape (mapping or list). Anything
 * else is returned as it is.
 */
function optionFor(schema: z.ZodType, value: unknown): z.ZodType {
  if (!(schema instanceof z.ZodUnion)) return schema;
  const options = (schema.options as z.ZodType[]).map(unwrap);
  if (schema instanceof z.ZodDiscriminatedUnion && isRecord(value)) {
    const key = schema.def.discriminator;
    const chosen = options.find((option) => {
      const field = option instanceof z.ZodObject ? (option.shape as Record<string, z.ZodType | undefined>)[key] : undefined;
      return field?.safeParse(value[key]).success === true;
    });
    if (chosen) return chosen;
  }
  const sameShape = options.filter((option) => (isRecord(value) ? option instanceof z.ZodObject : Array.isArray(value) && option instanceof z.ZodArray));
  return sameShape.length === 1 ? sameShape[0]! : schema;
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
