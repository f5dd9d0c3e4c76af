import { z } from 'zod';
import { storableProblem } from '../definitions/storable-text';

/**
 * The limits of API input, declared once. Every request schema builds on these primitives, so
 * that a value the database cannot store (an integer beyond its column, a year 0, a lone
 * surrogate, U+0000) or the server cannot walk safely (JSON nested thousands deep) is refused
 * with 422 and its path before anything is written.
 */

/** PG_INTEGER_MAX is the largest PostgreSQL `integer` (plan versions, attempts, counts). */
export const PG_INTEGER_MAX = 2_147_483_647;

/** MAX_JSON_DEPTH is how deeply an opaque JSON payload may nest arrays and objects. */
export const MAX_JSON_DEPTH = 32;

/** MAX_JSON_KEYS is the most keys one object of an opaque JSON payload may have. */
export const MAX_JSON_KEYS = 1000;

/** MAX_URL_LENGTH is the longest link accepted. */
export const MAX_URL_LENGTH = 2000;

/** PositiveInt32: a positive integer that fits PostgreSQL `integer`, e.g. a plan version. */
export const PositiveInt32 = z.number().int().min(1).max(PG_INTEGER_MAX);

/** SeqPosition: a position in a `bigserial` sequence (0 is before the first), at most 2^53 − 1. */
export const SeqPosition = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export { storableProblem };

const storable = (value: string, ctx: z.core.$RefinementCtx<string>) => {
  const problem = storableProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
};

/** StoredString: a string of at most max characters that PostgreSQL can store (no U+0000, no lone surrogate). */
export const StoredString = (max: number) => z.string().max(max).superRefine(storable);

/** Text: trimmed text of 1 to max characters that PostgreSQL can store, e.g. a reason or a comment. */
export const Text = (max: number, blank = 'must not be blank') => z.string().trim().min(1, blank).max(max).superRefine(storable);

/** OptionalText: trimmed text of at most max characters, possibly empty, that PostgreSQL can store. */
export const OptionalText = (max: number) => z.string().trim().max(max).superRefine(storable);

/** Name: a short name of 1 to 200 characters (a role, a plan, a filter value). */
export const Name = StoredString(200).min(1);

/** YEAR_RANGE: timestamps are between years 1 and 9999, as PostgreSQL and ISO 8601 write them. */
const MIN_YEAR = 1;
const MAX_YEAR = 9999;

/**
 * Timestamp: an ISO 8601 date and time with a zone (Z or an offset), in years 1 to 9999; year
 * 0000 and five-digit years are refused (PostgreSQL has no year 0).
 */
export const Timestamp = z
  .iso.datetime({
    offset: true,
    // The year check below runs only on a well-formed date-time.
    abort: true,
    // A missing or non-string value keeps zod's own message.
    error: (issue) => (typeof issue.input === 'string' ? 'must be an ISO 8601 date-time with a zone, e.g. 2025-03-01T08:00:00Z' : undefined),
  })
  .refine((value) => {
    const year = Number(value.slice(0, 4));
    return year >= MIN_YEAR && year <= MAX_YEAR;
  }, `must be in the years ${MIN_YEAR} to ${MAX_YEAR}`)
  .meta({ description: `ISO 8601 date-time with a zone, years ${MIN_YEAR}–${MAX_YEAR}` });

/**
 * LinkUrl: a link a page renders, so only `https:` or `http:` (never `javascript:` or `data:`),
 * at most MAX_URL_LENGTH characters.
 */
export const LinkUrl = z.url({ protocol: /^https?$/, error: 'must be an https: or http: URL' }).max(MAX_URL_LENGTH);

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** JsonProblem is where in a JSON value it breaks a limit, and which. */
export interface JsonProblem {
  path: Array<string | number>;
  message: string;
}

/**
 * jsonProblem walks a parsed JSON value without recursion and returns the first place that
 * breaks a limit: deeper than maxDepth, an object with more than maxKeys keys, a number that
 * is not finite (1e309 parses as Infinity), or a string or key PostgreSQL cannot store.
 */
export function jsonProblem(value: unknown, { maxDepth = MAX_JSON_DEPTH, maxKeys = MAX_JSON_KEYS } = {}): JsonProblem | undefined {
  const pending: Array<{ value: unknown; path: Array<string | number> }> = [{ value, path: [] }];
  while (pending.length > 0) {
    const { value: item, path } = pending.pop()!;
    if (typeof item === 'string') {
      const problem = storableProblem(item);
      if (problem) return { path, message: problem };
    } else if (typeof item === 'number') {
      if (!Number.isFinite(item)) return { path, message: 'number out of range: it must be finite' };
    } else if (item !== null && typeof item === 'object') {
      if (path.length >= maxDepth) return { path, message: `nests deeper than ${maxDepth} levels` };
      const entries = Array.isArray(item) ? item.map((entry, index) => [index, entry] as const) : Object.entries(item);
      if (!Array.isArray(item) && entries.length > maxKeys) return { path, message: `has ${entries.length} keys; at most ${maxKeys} are allowed` };
      for (let i = entries.length - 1; i >= 0; i -= 1) {
        const [key, entry] = entries[i]!;
        if (typeof key === 'string') {
          const problem = storableProblem(key);
          if (problem) return { path: [...path, key], message: `key ${problem}` };
        }
        pending.push({ value: entry, path: [...path, key] });
      }
    } else if (item !== null && typeof item !== 'boolean') {
      return { path, message: 'must be a JSON value' };
    }
  }
  return undefined;
}

/**
 * JsonPayload: an opaque JSON value, not null, e.g. a decision's recommendation or an outcome's
 * detail: at most MAX_JSON_DEPTH levels deep and MAX_JSON_KEYS keys per object, with finite
 * numbers and storable strings.
 */
export const JsonPayload = (z.unknown() as z.ZodType<JsonValue>)
  .superRefine((value, ctx) => {
    if (value === undefined || value === null) {
      ctx.addIssue({ code: 'custom', message: 'is required and must not be null', input: value });
      return;
    }
    const problem = jsonProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message, input: value });
  })
  .meta({ description: `any JSON value but null; at most ${MAX_JSON_DEPTH} levels deep and ${MAX_JSON_KEYS} keys per object` });
