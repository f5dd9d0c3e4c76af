import fc from 'fast-check';
import { RawJson } from './json-text';

/**
 * Values generated from the JSON Schema (`z.toJSONSchema`) of a request schema: valid ones, to
 * build a body that is right everywhere, and invalid ones, to put at exactly one place of it.
 */

/** JsonSchema is the part of JSON Schema that z.toJSONSchema writes for rollgate's request schemas. */
export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

export type Path = Array<string | number>;

/**
 * Mutant is one invalid value at one place. `contract` marks a value the request schema of
 * today may still let through but that breaks a limit rollgate promises (an integer beyond
 * PostgreSQL `integer`, a timestamp outside years 1–9999, U+0000, a lone surrogate, JSON nested
 * thousands deep, a `javascript:` link): the API must refuse it all the same. Every other
 * mutant is refused by the schema itself, which the suite checks before sending it.
 */
export interface Mutant {
  value: unknown;
  path: Path;
  why: string;
  contract: boolean;
}

/**
 * Hints choose realistic valid values at some paths (e.g. a metric the plan declares), which
 * are then always present; `*` stands for an array index.
 */
export type Hints = Record<string, fc.Arbitrary<unknown>>;

const hintKey = (path: Path) => path.map((part) => (typeof part === 'number' ? '*' : part)).join('.');

const PG_INTEGER_MAX = 2 ** 31 - 1;
const LONG_STRING = 70_000;
const NESTING = 3_000;
const WIDE_KEYS = 20_000;

/** deepArrays is `[[[…]]]` nested n deep, as JSON text. */
export const deepArrays = (n: number) => new RawJson(`${'['.repeat(n)}${']'.repeat(n)}`);

/** wideObject is one object with n keys, as JSON text. */
export const wideObject = (n: number) => new RawJson(`{${Array.from({ length: n }, (_, i) => `"k${i}":0`).join(',')}}`);

const simpleString = (min = 1, max = 12) =>
  fc.stringMatching(/^[a-z][a-z0-9]{0,15}$/).filter((s) => s.length >= Math.max(min, 1) && s.length <= Math.max(max, 1));

// ── Valid values ─────────────────────────────────────────────────────────────────────────

/** validValue generates a value the schema accepts (refinements aside: JSON Schema does not carry them). */
export function validValue(schema: JsonSchema, hints: Hints = {}, path: Path = []): fc.Arbitrary<unknown> {
  const hint = hints[hintKey(path)];
  if (hint) return hint;
  const variants = schema.anyOf ?? schema.allOf;
  if (variants && variants.length > 0) return validValue(variants[0]!, hints, path);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'object': {
      const properties = schema.properties ?? {};
      const required = schema.required ?? [];
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, property] of Object.entries(properties)) record[key] = validValue(property, hints, [...path, key]);
      // A hinted key is always present: the hint is there because the server needs it.
      const hinted = Object.keys(properties).filter((key) => hints[hintKey([...path, key])] !== undefined);
      return fc.record(record, { requiredKeys: [...new Set([...required, ...hinted])] });
    }
    case 'array':
      return fc.array(validValue(schema.items ?? {}, hints, [...path, 0]), { minLength: Math.max(schema.minItems ?? 0, 1), maxLength: 3 });
    case 'string':
      if (schema.format === 'date-time') {
        return fc.date({ min: new Date('2031-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
      }
      if (schema.format === 'uri') return fc.constantFrom('https://wiki.example.com/evidence/1', 'http://docs.example.com/a?b=c');
      if (schema.pattern) {
        const pattern = new RegExp(schema.pattern);
        return fc.stringMatching(pattern).filter((s) => s.length <= (schema.maxLength ?? Infinity) && s.length >= (schema.minLength ?? 0) && s.trim() === s);
      }
      return simpleString(schema.minLength ?? 1, schema.maxLength ?? 12);
    case 'integer': {
      const min = schema.minimum ?? (schema.exclusiveMinimum === undefined ? 0 : schema.exclusiveMinimum + 1);
      return fc.integer({ min, max: Math.min(schema.maximum ?? min + 1000, min + 1000) });
    }
    case 'number': {
      const min = schema.minimum ?? schema.exclusiveMinimum ?? 0;
      const max = schema.maximum ?? min + 1000;
      return fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).filter((n) => schema.exclusiveMinimum === undefined || n > schema.exclusiveMinimum);
    }
    case 'boolean':
      return fc.boolean();
    default:
      // An opaque JSON payload.
      return fc.dictionary(simpleString(1, 8), fc.oneof(fc.integer(), simpleString(), fc.boolean()), { minKeys: 1, maxKeys: 3 });
  }
}

// ── Invalid values ───────────────────────────────────────────────────────────────────────

const mutant = (path: Path, contract: boolean) => (value: unknown, why: string): Mutant => ({ value, path, why, contract });

/** wrongTypes are values of every JSON type but the schema's own. */
function wrongTypes(type: string | undefined, path: Path): Mutant[] {
  const at = mutant(path, false);
  const all: Array<[string, unknown, string]> = [
    ['string', 'x', 'a string'],
    ['string', 'NaN', 'NaN as text'],
    ['number', 42, 'a number'],
    ['number', new RawJson('1e309'), '1e309 (Infinity once parsed)'],
    ['boolean', true, 'a boolean'],
    ['array', [], 'an empty array'],
    ['object', {}, 'an empty object'],
    ['null', null, 'null'],
  ];
  const same = (kind: string) => kind === type || (type === 'integer' && kind === 'number');
  return all.filter(([kind]) => !same(kind)).map(([, value, why]) => at(value, `${why} where ${type ?? 'a value'} belongs`));
}

const TIMESTAMPS_INVALID = [
  '10000-01-01T00:00:00Z',
  '2025-02-30T12:00:00Z',
  '2025-03-01T12:00:00',
  '2025-03-01',
  '2025-13-01T00:00:00Z',
  '2025-03-01T24:00:00Z',
  '+002025-03-01T00:00:00Z',
  '2025-03-01T12:00:00+25:00',
  'yesterday',
  '',
];
const TIMESTAMPS_CONTRACT = ['0000-01-01T00:00:00Z', '0000-12-31T23:59:59+01:00'];
const URLS_INVALID = ['not a url', '', 'https//missing-colon'];
const URLS_CONTRACT = ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd', 'ftp://example.com/x', 'vbscript:msgbox(1)'];
const PATTERN_BREAKERS = ['', ' ', 'a b', 'UPPER', '-lead', 'a\u202Eb', '\u202E', '\ud800', 'a\udc00b', 'caf\u00e9', 'a/b', 'a%00b', 'x'.repeat(300), '😀'];
const STORAGE_BREAKERS: Array<[string, string]> = [
  ['a\u0000b', 'U+0000 inside'],
  ['\ud800', 'a lone high surrogate'],
  ['a\udfffb', 'a lone low surrogate inside'],
];

function stringMutants(schema: JsonSchema, path: Path): Mutant[] {
  const invalid = mutant(path, false);
  const contract = mutant(path, true);
  const out: Mutant[] = [];
  if (schema.enum) {
    const values = schema.enum.map(String);
    for (const candidate of ['bogus', values[0]!.toUpperCase(), `${values[0]} `, '', `${values[0]}\u0000`]) {
      if (!values.includes(candidate)) out.push(invalid(candidate, `${JSON.stringify(candidate)} is none of ${values.join(', ')}`));
    }
    return out;
  }
  if (schema.format === 'date-time') {
    out.push(...TIMESTAMPS_INVALID.map((t) => invalid(t, `timestamp ${JSON.stringify(t)}`)));
    out.push(...TIMESTAMPS_CONTRACT.map((t) => contract(t, `timestamp ${t} (year 0)`)));
    return out;
  }
  if (schema.format === 'uri') {
    out.push(...URLS_INVALID.map((u) => invalid(u, `URL ${JSON.stringify(u)}`)));
    out.push(...URLS_CONTRACT.map((u) => contract(u, `a ${u.split(':')[0]}: link`)));
    out.push(contract(`https://example.com/${'a'.repeat(LONG_STRING)}`, `a URL of ${LONG_STRING} characters`));
    return out;
  }
  if (schema.pattern) {
    const pattern = new RegExp(schema.pattern);
    out.push(...PATTERN_BREAKERS.filter((s) => !pattern.test(s)).map((s) => invalid(s, `${JSON.stringify(s.slice(0, 20))} breaks ${schema.pattern}`)));
    return out;
  }
  if ((schema.minLength ?? 0) >= 1) out.push(invalid('', 'an empty string'));
  if (schema.maxLength !== undefined) out.push(invalid('x'.repeat(schema.maxLength + 1), `${schema.maxLength + 1} characters (at most ${schema.maxLength})`));
  else out.push(contract('x'.repeat(LONG_STRING), `${LONG_STRING} characters with no length stated`));
  out.push(...STORAGE_BREAKERS.map(([s, why]) => contract(s, why)));
  return out;
}

function numberMutants(schema: JsonSchema, path: Path): Mutant[] {
  const invalid = mutant(path, false);
  const contract = mutant(path, true);
  const integer = schema.type === 'integer';
  const out: Mutant[] = [
    invalid(new RawJson('1e309'), '1e309 (Infinity once parsed)'),
    invalid(new RawJson('-1e309'), '-1e309 (-Infinity once parsed)'),
    invalid('NaN', 'NaN as text'),
    invalid('1', 'a number as text'),
  ];
  if (integer) {
    out.push(invalid(1.5, 'a fraction where an integer belongs'));
    out.push(invalid(new RawJson('9223372036854775808'), '2^63'));
  }
  if (schema.minimum !== undefined) out.push(invalid(schema.minimum - 1, `below the minimum ${schema.minimum}`));
  if (schema.exclusiveMinimum !== undefined) out.push(invalid(schema.exclusiveMinimum, `at the exclusive minimum ${schema.exclusiveMinimum}`));
  const positive = (schema.minimum ?? -Infinity) > 0 || (schema.exclusiveMinimum ?? -Infinity) >= 0;
  if (positive) out.push(invalid(new RawJson('-0'), '-0 where a positive number belongs'));
  const max = schema.maximum;
  if (max !== undefined && max < Number.MAX_SAFE_INTEGER) out.push(invalid(integer ? max + 1 : max + 0.5, `above the maximum ${max}`));
  if (integer && (max === undefined || max > PG_INTEGER_MAX)) out.push(contract(PG_INTEGER_MAX + 1, '2^31, beyond PostgreSQL integer'));
  return out;
}

function anyMutants(path: Path): Mutant[] {
  const invalid = mutant(path, false);
  const contract = mutant(path, true);
  return [
    invalid(null, 'null where a JSON value is required'),
    contract(deepArrays(NESTING), `${NESTING} nested arrays`),
    contract({ note: '\ud800' }, 'a lone surrogate inside'),
    contract({ '\udc00': 1 }, 'a lone surrogate as a key'),
    contract(wideObject(WIDE_KEYS), `an object with ${WIDE_KEYS} keys`),
  ];
}

/**
 * invalidValue generates a Mutant of base (a valid value of schema): the value itself replaced
 * by an invalid one, or, for objects and arrays, exactly one place inside it.
 */
export function invalidValue(schema: JsonSchema, base: unknown, path: Path = []): fc.Arbitrary<Mutant> {
  const variants = schema.anyOf ?? schema.allOf;
  if (variants && variants.length > 0) return invalidValue(variants[0]!, base, path);
  const self = (mutants: Mutant[]) => fc.constantFrom(...mutants);
  switch (schema.type) {
    case 'object': {
      const object = (base ?? {}) as Record<string, unknown>;
      const own: Mutant[] = wrongTypes('object', path);
      if (schema.additionalProperties === false) own.push(mutant(path, false)({ ...object, unexpectedKey: 1 }, 'an unknown key'));
      for (const key of schema.required ?? []) {
        const { [key]: _dropped, ...rest } = object;
        own.push(mutant(path, false)(rest, `without the required ${key}`));
      }
      const inner = Object.entries(schema.properties ?? {}).map(([key, property]) =>
        invalidValue(property, object[key], [...path, key]).map((m): Mutant => ({ ...m, value: { ...object, [key]: m.value } })),
      );
      return fc.oneof(self(own), ...inner);
    }
    case 'array': {
      const array = Array.isArray(base) ? base : [];
      const own: Mutant[] = wrongTypes('array', path);
      if ((schema.minItems ?? 0) >= 1) own.push(mutant(path, false)([], `an empty array (at least ${schema.minItems})`));
      if (array.length > 0) {
        const count = (schema.maxItems ?? 1000) + 1;
        own.push(mutant(path, schema.maxItems === undefined)(Array.from({ length: count }, () => array[0]), `${count} items`));
      }
      if (array.length === 0 || !schema.items) return self(own);
      const inner = fc
        .nat({ max: array.length - 1 })
        .chain((index) =>
          invalidValue(schema.items!, array[index], [...path, index]).map((m): Mutant => ({ ...m, value: array.map((item, i) => (i === index ? m.value : item)) })),
        );
      return fc.oneof(self(own), inner);
    }
    case 'string':
      return self([...wrongTypes('string', path), ...stringMutants(schema, path)]);
    case 'integer':
    case 'number':
      return self([...wrongTypes(schema.type, path), ...numberMutants(schema, path)]);
    case 'boolean':
      return self([...wrongTypes('boolean', path), mutant(path, false)('true', 'true as text'), mutant(path, false)(0, 'zero for false')]);
    default:
      return self(anyMutants(path));
  }
}
