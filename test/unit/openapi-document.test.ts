import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApiText } from '../../api/openapi';
import { OPENAPI_FILE } from '../../api/openapi-file';
import { ContractCheck } from '../support/contract';

const ROOT = join(__dirname, '..', '..');

describe('the OpenAPI document', () => {
  it('is committed as api/openapi.json, as the zod schemas generate it', () => {
    const committed = readFileSync(OPENAPI_FILE, 'utf8');
    if (committed !== openApiText()) throw new Error('api/openapi.json is stale: run npm run openapi');
  });

  it("has the client's types generated from it (client/api-types.ts)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollgate-openapi-'));
    try {
      const out = join(dir, 'api-types.ts');
      execFileSync(join(ROOT, 'node_modules', '.bin', 'openapi-typescript'), [OPENAPI_FILE, '-o', out], { stdio: 'pipe' });
      if (readFileSync(out, 'utf8') !== readFileSync(join(ROOT, 'client', 'api-types.ts'), 'utf8')) {
        throw new Error('client/api-types.ts is stale: run npm run openapi');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('declares the bearer scheme, problem details and Idempotency-Key, and compiles as JSON Schema', () => {
    const document = JSON.parse(openApiText());
    expect(document.openapi).toBe('3.1.0');
    expect(document.components.securitySchemes.bearer).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(document.paths['/v1/openapi.json'].get.security).toEqual([]);
    const approvals = document.paths['/v1/rollouts/{id}/stages/{stageId}/approvals'].post;
    expect(approvals.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toContain('header:idempotency-key');
    expect(Object.keys(document.components.responses.InvalidRequest.content)).toEqual(['application/problem+json']);
    const states = document.paths['/v1/rollouts'].get.parameters.find((p: { name: string }) => p.name === 'state');
    expect(states.schema.enum).toEqual(expect.arrayContaining(['running', 'completed', 'aborted']));
  });

  it('tells a response outside the document from one inside it', () => {
    const check = new ContractCheck();
    const problem = { type: 'urn:rollgate:problem:not-found', title: 'Not found', status: 404, detail: 'no rollout r1' };
    expect(check.problems('GET', '/v1/rollouts/r1', 404, 'application/problem+json', problem)).toEqual([]);
    expect(check.problems('GET', '/v1/nowhere', 404, 'application/problem+json', problem)).toEqual([]);
    expect(check.problems('GET', '/v1/nowhere', 200, 'application/json', {})).toEqual(['GET /v1/nowhere answered 200, but the document has no GET /v1/nowhere']);
    expect(check.problems('GET', '/v1/rollouts/r1', 404, 'application/json', problem)[0]).toMatch(/as application\/json; the document says application\/problem\+json/);
    const started = { rolloutId: 'r1', workflowId: 'rollout-r1', plan: 'p', version: 1 };
    expect(check.problems('POST', '/v1/rollouts', 201, 'application/json; charset=utf-8', started)).toEqual([]);
    expect(check.problems('POST', '/v1/rollouts', 201, 'application/json', { ...started, version: '1' })[0]).toMatch(/body\/version must be integer/);
    expect(check.problems('GET', '/v1/rollouts?state=running', 200, 'application/json', { rollouts: [{}], next: null })[0]).toMatch(/body\/rollouts\/0 must have required property/);
    expect(check.problems('GET', '/v1/rollouts/r1/events', 200, 'application/json', { events: [], next: null })).toEqual([]);
  });
});
