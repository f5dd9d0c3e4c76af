import { JsonPayload, jsonProblem, LinkUrl, PositiveInt32, storableProblem, Text, Timestamp } from '../../api/limits';

describe('storableProblem', () => {
  it('refuses U+0000 and lone surrogates, and keeps paired ones', () => {
    expect(storableProblem('a\u0000b')).toContain('U+0000');
    expect(storableProblem('x\ud800')).toContain('lone UTF-16 surrogate');
    expect(storableProblem('\udc00x')).toContain('lone UTF-16 surrogate');
    expect(storableProblem('\udc00\ud800')).toContain('lone UTF-16 surrogate');
    expect(storableProblem('emoji \ud83d\ude00 and ü')).toBeUndefined();
  });

  it('holds in the Text primitive', () => {
    expect(Text(10).safeParse('ok \ud800').success).toBe(false);
    expect(Text(10).safeParse('  ').success).toBe(false);
    expect(Text(10).safeParse(' fine ').data).toBe('fine');
  });
});

describe('Timestamp', () => {
  it('takes years 1 to 9999 with a zone', () => {
    for (const ok of ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999+14:00', '2025-03-01T14:00:00+01:00']) expect(Timestamp.safeParse(ok).success).toBe(true);
    expect(Timestamp.safeParse('0000-01-01T00:00:00Z').error?.issues[0]?.message).toBe('must be in the years 1 to 9999');
    for (const bad of ['2025-03-01T14:00:00', '+010000-01-01T00:00:00Z', '2025-02-30T00:00:00Z', 'tomorrow']) expect(Timestamp.safeParse(bad).success).toBe(false);
  });
});

describe('PositiveInt32', () => {
  it('fits PostgreSQL integer', () => {
    expect(PositiveInt32.safeParse(2_147_483_647).success).toBe(true);
    expect(PositiveInt32.safeParse(2_147_483_648).success).toBe(false);
    expect(PositiveInt32.safeParse(0).success).toBe(false);
  });
});

describe('LinkUrl', () => {
  it('takes https: and http: links only', () => {
    expect(LinkUrl.safeParse('https://wiki.example.com/contract').success).toBe(true);
    expect(LinkUrl.safeParse('http://intranet/doc').success).toBe(true);
    for (const bad of ['javascript:alert(1)', 'JavaScript:alert(1)', 'data:text/html,x', 'ftp://x.example.com', 'vbscript:msgbox', `https://x.example.com/${'a'.repeat(2000)}`]) {
      expect({ bad, ok: LinkUrl.safeParse(bad).success }).toEqual({ bad, ok: false });
    }
  });
});

describe('jsonProblem', () => {
  const nested = (depth: number): unknown => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i += 1) value = i % 2 ? { k: value } : [value];
    return value;
  };

  it('bounds depth without recursing, even 100,000 levels deep', () => {
    expect(jsonProblem(nested(32))).toBeUndefined();
    expect(jsonProblem(nested(33))).toMatchObject({ message: 'nests deeper than 32 levels' });
    expect(jsonProblem(nested(100_000))?.path).toHaveLength(32);
  });

  it('bounds the keys of an object and names the first bad place', () => {
    expect(jsonProblem(Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [String(i), i])))).toEqual({ path: [], message: 'has 1001 keys; at most 1000 are allowed' });
    expect(jsonProblem({ a: [1, { b: Infinity }] })).toEqual({ path: ['a', 1, 'b'], message: 'number out of range: it must be finite' });
    expect(jsonProblem({ ok: 'x', 'k\ud800': 1 })).toEqual({ path: ['k\ud800'], message: expect.stringContaining('key must not contain a lone') });
    expect(jsonProblem({ a: ['x', 'y\u0000'] })).toEqual({ path: ['a', 1], message: expect.stringContaining('U+0000') });
    expect(jsonProblem({ carrier: 'nordfracht', rate: 812.5, route: ['DC-1'], ok: true, none: null })).toBeUndefined();
  });

  it('reports through JsonPayload with the path inside the payload', () => {
    const result = JsonPayload.safeParse({ note: ['\ud800'] });
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([['note', 0]]);
    expect(JsonPayload.safeParse(null).success).toBe(false);
  });
});
