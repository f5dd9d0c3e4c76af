import { createHash } from 'node:crypto';
import { canonicalJson, planDigest } from '../../definitions/digest';
import { loadPlan } from '../../definitions/load';
import { Plan } from '../../definitions/schema';

const base = `name: digest
owner: test-lead
stages:
  - id: only
    title: Only stage
    mode: pilot
    minDuration: 1s
    approvals: [{ role: approver }]
`;

function digestOf(text: string): string {
  const result = loadPlan(text);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return planDigest(result.plan);
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 'x' }], c: null, skip: undefined } })).toBe(
      '{"a":{"c":null,"d":[1,{"e":"x","f":2}]},"b":1}',
    );
  });
});

describe('planDigest', () => {
  it('is sha256 over the canonical JSON of the parsed plan', () => {
    // Defaults filled in, as the loader does; which defaults there are is the schema's business.
    const plan: Plan = Plan.parse({
      name: 'digest',
      owner: 'test-lead',
      stages: [{ id: 'only', title: 'Only stage', mode: 'pilot', minDuration: '1s', approvals: [{ role: 'approver' }] }],
    });
    const canonical = canonicalJson(plan);
    expect(canonical).toMatch(/^\{"allowSelfApproval":false,"name":"digest",.*"stages":\[\{"approvals":\[\{"count":1,"role":"approver"\}\],/);
    expect(planDigest(plan)).toBe(`sha256:${createHash('sha256').update(canonical).digest('hex')}`);
    expect(digestOf(base)).toBe(planDigest(plan));
  });

  it('ignores comments, layout, key order, quoting and written-out defaults', () => {
    const reformatted = `# A comment that changes nothing.
owner: "test-lead"
name: digest

stages:
  - title: 'Only stage'   # trailing comment
    id: only
    approvals:
      - { count: 1, role: approver }
    dependsOn: []
    onFailure: hold
    mode: 'pilot'
    minDuration: 1s
`;
    expect(digestOf(reformatted)).toBe(digestOf(base));
  });

  it('changes when the content changes', () => {
    expect(digestOf(base.replace('minDuration: 1s', 'minDuration: 2s'))).not.toBe(digestOf(base));
    expect(digestOf(base.replace('approver }', 'approver, count: 2 }'))).not.toBe(digestOf(base));
    expect(digestOf(base)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('canonicalJson on deep values', () => {
  it('writes 100,000 nested arrays without overflowing the stack', () => {
    let value: unknown = 'x';
    for (let i = 0; i < 100_000; i += 1) value = i % 2 ? [value] : { k: value };
    const text = canonicalJson(value);
    expect(text.length).toBeGreaterThan(300_000);
    expect([text.slice(0, 7), text.slice(-4)]).toEqual([`[{"k":[`, `}]}]`]);
  });

  it('writes what JSON.stringify writes, with keys sorted', () => {
    const value = { b: [1, undefined, 'x', null, { d: true, c: [[]] }], a: { z: undefined, y: 1.5 }, '': -0 };
    expect(canonicalJson(value)).toBe('{"":0,"a":{"y":1.5},"b":[1,null,"x",null,{"c":[[]],"d":true}]}');
    expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
  });
});
