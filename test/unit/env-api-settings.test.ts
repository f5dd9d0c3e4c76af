import { loadEnv } from '../../config/env';
import { DEFAULT_RATE_LIMITS } from '../../config/rate-limits';

describe('HOST', () => {
  it('defaults to this machine only', () => {
    expect(loadEnv({}).HOST).toBe('127.0.0.1');
    expect(loadEnv({ HOST: ' 0.0.0.0 ' }).HOST).toBe('0.0.0.0');
  });
});

describe('ROLLGATE_RATE_LIMIT', () => {
  const limits = (value?: string) => loadEnv(value === undefined ? {} : { ROLLGATE_RATE_LIMIT: value }).ROLLGATE_RATE_LIMIT;

  it('keeps the defaults when unset or empty, and turns limits off with off', () => {
    expect(limits()).toEqual(DEFAULT_RATE_LIMITS);
    expect(limits('  ')).toEqual(DEFAULT_RATE_LIMITS);
    expect(limits('off')).toBe(false);
  });

  it('overrides the budgets it names and keeps the others', () => {
    expect(limits('principal=600, ingest=30000')).toEqual({ principal: 600, ingest: 30_000, unauthenticated: DEFAULT_RATE_LIMITS.unauthenticated });
    expect(limits('unauthenticated=10')).toEqual({ ...DEFAULT_RATE_LIMITS, unauthenticated: 10 });
  });

  it.each(['principal', 'principal=0', 'principal=-1', 'principal=1.5', 'sign-off=10', 'principal=10;ingest=20'])('refuses %j, naming the variable', (value) => {
    expect(() => limits(value)).toThrow(/ROLLGATE_RATE_LIMIT: expected off, or principal\|ingest\|unauthenticated=<requests per minute, at least 1>/);
  });
});
