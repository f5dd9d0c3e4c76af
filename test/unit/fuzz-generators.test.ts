import { readFileSync } from 'node:fs';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import path from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { casesFor } from '../support/fuzz/cases';
import { ENDPOINTS, type Fixture } from '../support/fuzz/endpoints';
import { oracleProblem } from '../support/fuzz/oracle';
import { deepArrays, invalidValue, validValue, type JsonSchema } from '../support/fuzz/schema-values';
import { jsonText, RawJson } from '../support/fuzz/json-text';

/** The fuzz suite's generators (test/support/fuzz), checked without a server: what they make is what they claim. */

const fixture: Fixture = {
  plan: 'fuzz-plan',
  version: '1',
  rolloutId: 'fuzz-rollout',
  stageId: 'pilot',
  prerequisiteId: 'data-contract',
  metric: 'throughput',
  recommendationId: 'fuzz-rec',
  pendingDecision: 'fuzz-pending',
  autoDecision: 'fuzz-auto',
  proposalId: '00000000-0000-4000-8000-000000000000',
  review: '1',
};
const plans = ['factory-line.yaml', 'logistics-carrier-selection.yaml'].map(
  (name) => parseYaml(readFileSync(path.join(__dirname, '../../definitions/examples', name), 'utf8')) as Record<string, unknown>,
);

describe('fuzz generators', () => {
  it.each(ENDPOINTS.map((endpoint) => [`${endpoint.method} ${endpoint.route}`, endpoint] as const))('%s: every case is invalid and sendable', (_, endpoint) => {
    fc.assert(
      fc.property(casesFor(endpoint, fixture, { authorization: 'Bearer x' }, plans), (fuzzCase) => {
        expect(oracleProblem(fuzzCase)).toBeUndefined();
        // node:http sends these bytes as they are: an ASCII path and well-formed headers.
        expect(fuzzCase.request.path).toMatch(/^\/[\x21-\x7e]*$/);
        for (const [name, value] of Object.entries(fuzzCase.request.headers)) {
          validateHeaderName(name);
          validateHeaderValue(name, value);
        }
      }),
      { seed: 42, numRuns: 40 },
    );
  });

  it('writes JSON text that JSON.parse reads back, with raw tokens and lone surrogates as escapes', () => {
    const text = jsonText({ a: new RawJson('1e309'), b: '\ud800', c: [new RawJson('-0'), null], d: undefined });
    expect(text).toBe('{"a":1e309,"b":"\\ud800","c":[-0,null]}');
    const parsed = JSON.parse(text) as Record<string, unknown>;
    expect(parsed.a).toBe(Infinity);
    expect(parsed.b).toBe('\ud800');
    expect(Object.is((parsed.c as number[])[0], -0)).toBe(true);
    expect(() => JSON.parse(deepArrays(3000).text)).not.toThrow();
  });

  it('mutates a valid body at exactly one place', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: { a: { type: 'integer', minimum: 1, maximum: 10 }, b: { type: 'string', enum: ['x', 'y'] } },
      required: ['a', 'b'],
      additionalProperties: false,
    };
    fc.assert(
      fc.property(
        validValue(schema).chain((base) => invalidValue(schema, base).map((mutant) => ({ base: base as Record<string, unknown>, mutant }))),
        ({ base, mutant }) => {
          if (mutant.path.length === 0) return;
          const key = mutant.path[0] as string;
          const mutated = mutant.value as Record<string, unknown>;
          for (const other of Object.keys(schema.properties!)) if (other !== key) expect(mutated[other]).toEqual(base[other]);
          expect(mutated[key]).not.toEqual(base[key]);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });
});
