import fc from 'fast-check';
import { parse as parseYaml, stringify } from 'yaml';
import { Plan } from '../../../definitions/schema';
import { fillRoute, jsonSchemaOf, realParams, type Endpoint, type Fixture } from './endpoints';
import { jsonText } from './json-text';
import { invalidValue, validValue, type JsonSchema, type Mutant } from './schema-values';

/**
 * FuzzCase is one generated bad request and what its answer must show. Every case is invalid
 * by construction, so no answer may write anything:
 * - `field`: a body that is valid but for exactly one place (schema-values.ts Mutant);
 * - `body`: a body that is not an object of the schema at all (null, "x", 1e309, [], bad JSON,
 *   3,000 nested arrays) or larger than any body limit;
 * - `content-type`, `content-encoding`: an invalid body sent with a wrong Content-Type (only
 *   where `{}` is invalid too, as a body without its Content-Type may be read as `{}`) or a
 *   Content-Encoding it does not have;
 * - `idempotency-key`: a body valid per its schema with an Idempotency-Key of the wrong form;
 * - `authorization`: a malformed or unknown bearer token;
 * - `path`: a path parameter that names nothing (%ZZ, %00, 3,000 characters, unicode), with a
 *   valid body, so the parameter itself meets the lookups;
 * - `query`: a query parameter out of its schema (GET only: reads write nothing).
 */
export type CaseKind = 'field' | 'body' | 'content-type' | 'content-encoding' | 'idempotency-key' | 'authorization' | 'path' | 'query';

export interface FuzzRequest {
  method: string;
  /** path is sent as is: its percent-encoding is the case's own. */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface FuzzCase {
  endpoint: string;
  kind: CaseKind;
  description: string;
  request: FuzzRequest;
  /** mutant is the one bad value of a `field` case. */
  mutant?: Mutant;
}

/** MiB above every body limit (JSON 256 KiB and 1 MiB, plans 1 MiB). */
const OVERSIZE = 1_100_000;

const describeEndpoint = (endpoint: Endpoint) => `${endpoint.method} ${endpoint.route}`;

/** Path parameter values, already percent-encoded as sent: bad encodings, U+0000, overlong, unicode, numbers out of range. */
const BAD_PATH_VALUES = [
  '%ZZ',
  '%',
  '%0',
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%C0%AF',
  '%FF',
  '%E2%80%AEevil',
  'x'.repeat(3000),
  '%F0%9F%92%A9',
  'caf%C3%A9',
  '-1',
  '0',
  '2147483648',
  '9223372036854775808',
  '1e309',
  'NaN',
  '%2E%2E',
  '%2F',
  '%20',
  'null',
];

const BAD_BODIES: Array<[string, string]> = [
  ['null', 'the body null'],
  ['"x"', 'a string as the body'],
  ['1e309', 'the body 1e309'],
  ['[]', 'an empty array as the body'],
  ['42', 'a number as the body'],
  ['true', 'a boolean as the body'],
  ['{', 'truncated JSON'],
  ['{"a":}', 'a missing value'],
  ['NaN', 'NaN as the body'],
  ["{'a':1}", 'single-quoted JSON'],
  ['{"a":1}{"b":2}', 'two JSON documents'],
  [`${'['.repeat(3000)}${']'.repeat(3000)}`, '3000 nested arrays as the body'],
  ['\ufeff{"a":1}', 'a byte-order mark before the JSON'],
  ['{"\\ud800":1}', 'a lone surrogate as a key'],
];

const BAD_CONTENT_TYPES = ['', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x'];
const BAD_ENCODINGS = ['gzip', 'deflate', 'br', 'x-bogus'];
const BAD_KEYS = ['', ' ', 'has space', 'x'.repeat(201), 'caf\u00e9', 'a/b', '%00', '\t'];
const BAD_AUTHORIZATIONS = ['', 'Bearer', 'Bearer not-a-token', 'Basic YWRtaW46YWRtaW4=', `Bearer ${'a'.repeat(4000)}`, 'Bearer rg_%00'];

/** Query values, already percent-encoded as sent, for each kind of parameter. */
const BAD_INTEGERS = ['abc', '1.5', '-1', '0', '1e309', 'NaN', 'Infinity', '9223372036854775808', '2147483648', '-0', '', '0x10', '%201', '%00', '%ZZ'];
const BAD_TIMESTAMPS = [
  '0000-01-01T00%3A00%3A00Z',
  '10000-01-01T00%3A00%3A00Z',
  '2025-02-30T00%3A00%3A00Z',
  '2025-03-01T00%3A00%3A00',
  '2025-03-01',
  'yesterday',
  '%00',
  '%ZZ',
  '',
];
const BAD_STRINGS = ['%00', 'a%00b', '%ZZ', '%ED%A0%80', '%E2%80%AEx', 'x'.repeat(5000), '%F0%9F%92%A9', ''];

/** realBody is a body the endpoint's schema accepts, with hints applied; refinements checked by zod itself. */
function realBody(endpoint: Endpoint, fixture: Fixture): fc.Arbitrary<unknown> {
  const schema = endpoint.body!;
  return validValue(jsonSchemaOf(schema), endpoint.hints?.(fixture) ?? {}).filter((body) => schema.safeParse(body).success);
}

interface Context {
  endpoint: Endpoint;
  fixture: Fixture;
  auth: Record<string, string>;
}

function request(ctx: Context, overrides: Partial<FuzzRequest> & { params?: Record<string, string>; query?: string } = {}): FuzzRequest {
  const params = { ...realParams(ctx.endpoint, ctx.fixture), ...overrides.params };
  const query = overrides.query === undefined ? '' : `?${overrides.query}`;
  return {
    method: ctx.endpoint.method,
    path: `${fillRoute(ctx.endpoint.route, params)}${query}`,
    headers: { ...(ctx.endpoint.open ? {} : ctx.auth), ...overrides.headers },
    ...(overrides.body === undefined ? {} : { body: overrides.body }),
  };
}

const JSON_TYPE = { 'content-type': 'application/json' };

function fieldCases(ctx: Context): fc.Arbitrary<FuzzCase> {
  const schema = jsonSchemaOf(ctx.endpoint.body!);
  // The base passes the zod schema itself (refinements too), so the mutant is the one bad place.
  return realBody(ctx.endpoint, ctx.fixture)
    .chain((base) => invalidValue(schema, base))
    .map((mutant) => ({
      endpoint: describeEndpoint(ctx.endpoint),
      kind: 'field' as const,
      description: `${mutant.path.join('.') || '(body)'}: ${mutant.why}`,
      request: request(ctx, { headers: JSON_TYPE, body: jsonText(mutant.value) }),
      mutant,
    }));
}

function bodyCases(ctx: Context): fc.Arbitrary<FuzzCase> {
  const oversize: [string, string] = [`{"comment":"${'x'.repeat(OVERSIZE)}"}`, `${OVERSIZE} bytes, above every body limit`];
  const plain = fc.constantFrom(...BAD_BODIES, oversize).map(([text, why]) => ({
    endpoint: describeEndpoint(ctx.endpoint),
    kind: 'body' as const,
    description: why,
    request: request(ctx, { headers: JSON_TYPE, body: text }),
  }));
  // UTF-8 bytes under another charset decode to text that is no JSON.
  const mislabelled = invalidBodyText(ctx).map((text) => ({
    endpoint: describeEndpoint(ctx.endpoint),
    kind: 'body' as const,
    description: 'UTF-8 bytes labelled charset=utf-16',
    request: request(ctx, { headers: { 'content-type': 'application/json; charset=utf-16' }, body: text }),
  }));
  return fc.oneof({ weight: 6, arbitrary: plain }, { weight: 1, arbitrary: mislabelled });
}

/** An invalid body for the endpoint: its field mutants' text, or a junk YAML plan. */
function invalidBodyText(ctx: Context): fc.Arbitrary<string> {
  if (ctx.endpoint.yaml) return fc.constantFrom(...PLAN_JUNK.map(([text]) => text));
  return fieldCases(ctx).map((c) => c.request.body as string);
}

function contentTypeCases(ctx: Context): fc.Arbitrary<FuzzCase> {
  return fc.tuple(invalidBodyText(ctx), fc.constantFrom(...BAD_CONTENT_TYPES)).map(([body, type]) => ({
    endpoint: describeEndpoint(ctx.endpoint),
    kind: 'content-type' as const,
    description: `Content-Type ${type ? JSON.stringify(type) : 'missing'}`,
    request: request(ctx, { headers: type ? { 'content-type': type } : {}, body }),
  }));
}

function encodingCases(ctx: Context): fc.Arbitrary<FuzzCase> {
  return fc.tuple(invalidBodyText(ctx), fc.constantFrom(...BAD_ENCODINGS)).map(([body, encoding]) => ({
    endpoint: describeEndpoint(ctx.endpoint),
    kind: 'content-encoding' as const,
    description: `Content-Encoding: ${encoding} on a plain body`,
    request: request(ctx, { headers: { 'content-type': ctx.endpoint.yaml ? 'application/yaml' : 'application/json', 'content-encoding': encoding }, body }),
  }));
}

function idempotencyCases(ctx: Context): fc.Arbitrary<FuzzCase> {
  return fc.tuple(realBody(ctx.endpoint, ctx.fixture), fc.constantFrom(...BAD_KEYS)).map(([body, key]) => ({
    endpoint: describeEndpoint(ctx.endpoint),
    kind: 'idempotency-key' as const,
    description: `Idempotency-Key ${JSON.stringify(key.slice(0, 30))}`,
    request: request(ctx, { headers: { ...JSON_TYPE, 'idempotency-key': key }, body: jsonText(body) }),
  }));
}

function authorizationCases(ctx: Context): fc.Arbitrary<FuzzCase> {
  const body = ctx.endpoint.method === 'POST' ? invalidBodyText(ctx) : fc.constant(undefined);
  return fc.tuple(body, fc.constantFrom(...BAD_AUTHORIZATIONS)).map(([text, authorization]) => ({
    endpoint: describeEndpoint(ctx.endpoint),
    kind: 'authorization' as const,
    description: `Authorization ${JSON.stringify(authorization.slice(0, 30))}`,
    request: {
      ...request(ctx, text === undefined ? {} : { headers: { 'content-type': ctx.endpoint.yaml ? 'application/yaml' : 'application/json' }, body: text }),
      headers: {
        ...(text === undefined ? {} : { 'content-type': ctx.endpoint.yaml ? 'application/yaml' : 'application/json' }),
        ...(authorization ? { authorization } : {}),
      },
    },
  }));
}

/** A path value that names nothing: the list above, or any unicode text behind a `~` (no id has one). */
const badPathValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...BAD_PATH_VALUES) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map((s) => `~${encodeURIComponent(s)}`) },
);

function pathCases(ctx: Context): fc.Arbitrary<FuzzCase> | undefined {
  const names = [...ctx.endpoint.route.matchAll(/:([A-Za-z]+)/g)].map((match) => match[1]!);
  if (names.length === 0) return undefined;
  const body: fc.Arbitrary<string | undefined> = ctx.endpoint.body ? realBody(ctx.endpoint, ctx.fixture).map(jsonText) : fc.constant(undefined);
  return fc.tuple(fc.constantFrom(...names), badPathValue, body).map(([name, value, text]) => ({
    endpoint: describeEndpoint(ctx.endpoint),
    kind: 'path' as const,
    description: `:${name} = ${value.slice(0, 40)}${value.length > 40 ? `… (${value.length} characters)` : ''}`,
    request: request(ctx, { params: { [name]: value }, ...(text === undefined ? {} : { headers: JSON_TYPE, body: text }) }),
  }));
}

/** badQueryValues are raw query values out of a parameter's JSON Schema. */
function badQueryValues(schema: JsonSchema): string[] {
  if (schema.type === 'integer' || schema.type === 'number') {
    return [...BAD_INTEGERS, ...(schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER ? [String(schema.maximum + 1)] : [])];
  }
  if (schema.enum) return ['bogus', ...BAD_STRINGS];
  if (schema.format === 'date-time') return BAD_TIMESTAMPS;
  return BAD_STRINGS;
}

/** requiredQuery is a valid value for each required parameter, so the bad one is what fails. */
function requiredQuery(schema: JsonSchema): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of schema.required ?? []) {
    const property = schema.properties![name]!;
    out[name] = property.format === 'date-time' ? encodeURIComponent('2025-03-01T00:00:00Z') : '1';
  }
  return out;
}

function queryCases(ctx: Context): fc.Arbitrary<FuzzCase> {
  const schema: JsonSchema = ctx.endpoint.query ?? { type: 'object', properties: {} };
  const properties = Object.entries(schema.properties ?? {});
  const required = requiredQuery(schema);
  const toQuery = (params: Array<[string, string]>) => params.map(([key, value]) => `${key}=${value}`).join('&');
  const perParameter = properties.map(([name, property]) =>
    fc.constantFrom(...badQueryValues(property)).map((value) => ({ description: `?${name}=${value.slice(0, 40)}`, query: toQuery(Object.entries({ ...required, [name]: value })) })),
  );
  const repeated = properties.map(([name]) => ({ description: `?${name} twice`, query: toQuery([...Object.entries(required), [name, '1'], [name, '2']]) }));
  const generic = [
    { description: 'an unknown parameter', query: toQuery([...Object.entries(required), ['bogus', '1']]) },
    { description: 'a bad encoding in a parameter name', query: toQuery([...Object.entries(required), ['%ZZ', '1']]) },
    { description: 'U+0000 in a parameter name', query: toQuery([...Object.entries(required), ['a%00', '1']]) },
    { description: 'a parameter with brackets', query: toQuery([...Object.entries(required), ['limit[gt]', '1']]) },
    ...repeated,
  ];
  return fc.oneof(fc.constantFrom(...generic), ...perParameter).map(({ description, query }) => ({
    endpoint: describeEndpoint(ctx.endpoint),
    kind: 'query' as const,
    description,
    request: request(ctx, { query }),
  }));
}

// ── Plans (YAML) ─────────────────────────────────────────────────────────────────────────

/** Plan texts that are no plan: not YAML, not a mapping, an alias flood, bad bytes. */
const PLAN_JUNK: Array<[string, string]> = [
  ['{{{', 'not YAML'],
  ['- just\n- a list\n', 'a list, not a mapping'],
  ['just a scalar', 'a scalar'],
  ['', 'an empty body'],
  ['name: [unclosed', 'an unclosed flow sequence'],
  ['a: &a [x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n', 'an alias flood'],
  [`${'['.repeat(3000)}${']'.repeat(3000)}`, '3000 nested flow sequences'],
  ['name: "a\\0b"\nowner: x\nstages: []\n', 'U+0000 in a name'],
  ['name: "\\ud800"\nowner: x\nstages: []\n', 'a lone surrogate in a name'],
  ['name: x\nname: y\n', 'a duplicate key'],
  ['\tname: x\n', 'a tab for indentation'],
];

/** planLeaves lists the paths of a plan's values, with the value at each. */
function planLeaves(value: unknown, path: Array<string | number> = []): Array<{ path: Array<string | number>; value: unknown }> {
  const here = [{ path, value }];
  if (Array.isArray(value)) return [...(path.length ? here : []), ...value.flatMap((item, i) => planLeaves(item, [...path, i]))];
  if (value !== null && typeof value === 'object') return [...(path.length ? here : []), ...Object.entries(value).flatMap(([key, item]) => planLeaves(item, [...path, key]))];
  return here;
}

const DURATION = /^(\d+(ms|[smhdw]))+$|^P/;

/** planMutants are invalid values for one place of a plan: YAML text, or `contract` values the plan language promises to bound. */
function planMutants(value: unknown): Array<{ yaml: string; why: string; contract: boolean }> {
  const invalid = (yaml: string, why: string) => ({ yaml, why, contract: false });
  const contract = (yaml: string, why: string) => ({ yaml, why, contract: true });
  const out = [invalid('null', 'null'), invalid('[]', 'an empty list'), invalid('{ bogus: 1 }', 'a mapping')];
  if (typeof value === 'string') {
    // The plan language bounds numbers and durations, not text (a plan has 1 MiB): no overlong strings here.
    out.push(invalid('42', 'a number'), invalid('"a\\0b"', 'U+0000'), contract('"\\ud800"', 'a lone surrogate'));
    if (DURATION.test(value)) {
      out.push(contract('99999999999999999999999w', 'a duration beyond any clock'), contract('P9999999Y', 'a duration of ten million years'), invalid('-1d', 'a negative duration'));
    }
  } else if (typeof value === 'number') {
    out.push(invalid('"1"', 'a number as text'), invalid('.nan', 'NaN'), invalid('.inf', 'infinity'), invalid('1e309', '1e309'), contract('2147483648', '2^31'), contract('9223372036854775808', '2^63'), invalid('-1', '-1'));
  } else if (typeof value === 'boolean') {
    out.push(invalid('"yes"', 'yes as text'), invalid('1', 'one for true'));
  } else {
    out.push(invalid('"x"', 'a string'), contract(`${'['.repeat(3000)}${']'.repeat(3000)}`, '3000 nested flow sequences'));
  }
  return out;
}

/**
 * planFieldCases: a valid plan (the examples) with exactly one value replaced by YAML text of another kind.
 * Only mutants that the Plan schema refuses, or that break a bound the plan language promises,
 * are kept (checked by the suite: see fuzz.test.ts).
 */
export function planFieldCases(ctx: Context, plans: Array<Record<string, unknown>>): fc.Arbitrary<FuzzCase> {
  return fc.constantFrom(...plans).chain((plan) => planMutation(ctx, plan));
}

function planMutation(ctx: Context, plan: Record<string, unknown>): fc.Arbitrary<FuzzCase> {
  const all = planLeaves(plan);
  // Numbers and durations are what the engine must be able to execute: they get drawn more often.
  const bounded = all.filter(({ value }) => typeof value === 'number' || (typeof value === 'string' && DURATION.test(value)));
  const leaves = fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...all) }, { weight: bounded.length > 0 ? 1 : 0, arbitrary: fc.constantFrom(...(bounded.length > 0 ? bounded : all)) });
  return leaves.chain((leaf) =>
    fc.constantFrom(...planMutants(leaf.value)).map((m) => {
      const marker = '__fuzz_mutant__';
      const copy = structuredClone(plan);
      let parent = copy as Record<string | number, unknown>;
      for (const part of leaf.path.slice(0, -1)) parent = parent[part] as Record<string | number, unknown>;
      parent[leaf.path[leaf.path.length - 1]!] = marker;
      const yaml = stringify(copy, { lineWidth: 0 }).replace(marker, m.yaml);
      const mutant: Mutant = { value: m.yaml, path: leaf.path, why: m.why, contract: m.contract };
      return {
        endpoint: describeEndpoint(ctx.endpoint),
        kind: 'field' as const,
        description: `${leaf.path.join('.')}: ${m.why}`,
        request: request(ctx, { headers: { 'content-type': 'application/yaml' }, body: yaml }),
        mutant,
      };
    }),
  ).filter((c) => c.mutant!.contract || !planAccepts(c.request.body as string));
}

/** planAccepts: the Plan schema takes the YAML text (such a mutant, e.g. an empty optional list, is not a bad input). */
function planAccepts(yaml: string): boolean {
  try {
    return Plan.safeParse(parseYaml(yaml)).success;
  } catch {
    return false;
  }
}

function planBodyCases(ctx: Context): fc.Arbitrary<FuzzCase> {
  return fc.constantFrom(...PLAN_JUNK, ['x'.repeat(OVERSIZE), `${OVERSIZE} bytes`] as [string, string]).map(([text, why]) => ({
    endpoint: describeEndpoint(ctx.endpoint),
    kind: 'body' as const,
    description: why,
    request: request(ctx, { headers: { 'content-type': 'application/yaml' }, body: text }),
  }));
}

/** casesFor is every kind of bad request the endpoint can take, weighted toward its own schema. */
export function casesFor(endpoint: Endpoint, fixture: Fixture, auth: Record<string, string>, plans: Array<Record<string, unknown>>): fc.Arbitrary<FuzzCase> {
  const ctx: Context = { endpoint, fixture, auth };
  const weighted: Array<{ weight: number; arbitrary: fc.Arbitrary<FuzzCase> }> = [];
  const add = (weight: number, arbitrary: fc.Arbitrary<FuzzCase> | undefined) => {
    if (arbitrary) weighted.push({ weight, arbitrary });
  };
  if (endpoint.yaml) {
    add(6, planFieldCases(ctx, plans));
    add(2, planBodyCases(ctx));
    add(1, contentTypeCases(ctx));
    add(1, encodingCases(ctx));
    add(1, authorizationCases(ctx));
  } else if (endpoint.body) {
    // A body without a (JSON) Content-Type may be read as {}: only where {} is invalid are such cases certainly invalid.
    const emptyInvalid = !endpoint.body.safeParse({}).success;
    add(6, fieldCases(ctx));
    add(2, bodyCases(ctx));
    add(1, emptyInvalid ? contentTypeCases(ctx) : undefined);
    add(1, encodingCases(ctx));
    add(1, endpoint.idempotencyKey ? idempotencyCases(ctx) : undefined);
    add(1, authorizationCases(ctx));
    add(2, pathCases(ctx));
  } else {
    add(4, queryCases(ctx));
    add(3, pathCases(ctx));
    add(endpoint.open ? 0 : 1, endpoint.open ? undefined : authorizationCases(ctx));
  }
  return fc.oneof(...weighted);
}

