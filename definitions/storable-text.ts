/** LONE_SURROGATE matches a UTF-16 surrogate without its pair, which UTF-8 (and so PostgreSQL) cannot encode. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * storableProblem says why PostgreSQL cannot store a string as text or jsonb (U+0000, or a lone
 * surrogate such as "\ud800" that a JSON or YAML escape can produce), or undefined when it can.
 */
export function storableProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain the character U+0000 (NUL), which cannot be stored';
  if (LONE_SURROGATE.test(value)) return 'must not contain a lone UTF-16 surrogate (e.g. \\ud800), which cannot be stored';
  return undefined;
}
