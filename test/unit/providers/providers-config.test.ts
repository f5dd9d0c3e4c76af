import { loadProviders, parseProviders, providerNames } from '../../../config/providers';
import { escapeLabelValue, substitutePromql } from '../../../activities/providers/prometheus';

describe('provider configuration', () => {
  it('reads every kind, with the defaults filled in', () => {
    const result = parseProviders(
      `providers:
  metrics: { kind: prometheus, address: "http://127.0.0.1:9090", bearerToken: t }
  historian: { kind: sql, connectionString: "postgres://reader@db/plant", timeoutMs: 2000 }
  influx: { kind: influxdb, address: "http://influx:8086", database: plant }
  andon: { kind: http, url: "https://andon.example/api", headers: { x-api-key: k } }
`,
      'providers.yaml',
    );
    expect('providers' in result && providerNames(result.providers)).toEqual(['andon', 'historian', 'influx', 'metrics']);
    expect('providers' in result && result.providers.historian).toEqual({ kind: 'sql', connectionString: 'postgres://reader@db/plant', timeoutMs: 2000, attempts: 2 });
  });

  it('names each problem at its line and column', () => {
    const result = parseProviders(
      `providers:
  metrics:
    kind: prometheus
    address: not a url
  historian: { kind: sql, connectionString: "mysql://db", timeoutMs: 60000 }
`,
      'providers.yaml',
    );
    expect('errors' in result && result.errors).toEqual([
      'providers.yaml:4:14: providers.metrics.address: Invalid URL',
      'providers.yaml:5:45: providers.historian.connectionString: must be a postgres:// connection string',
      'providers.yaml:5:70: providers.historian.timeoutMs: Too big: expected number to be <=8000',
    ]);
  });

  it('reads ROLLGATE_PROVIDERS inline, and has none when neither variable is set', () => {
    expect(Object.keys(loadProviders({ ROLLGATE_PROVIDERS: '{"providers": {"m": {"kind": "prometheus", "address": "http://x:9090"}}}' }))).toEqual(['m']);
    expect(loadProviders({})).toEqual({});
    expect(() => loadProviders({ ROLLGATE_PROVIDERS: 'providers: { m: { kind: graphite } }' })).toThrow(/ROLLGATE_PROVIDERS:1:/);
  });
});

describe('PromQL substitution', () => {
  const request = { metric: 'oee', source: { provider: 'm', query: '' }, from: 0, to: 3_600_000, scope: { site: 'plant-a' } };

  it('fills in the window in seconds and the scope as escaped label values', () => {
    expect(substitutePromql('avg(avg_over_time(oee{site="$site",line="$line"}[$window]))', request)).toBe('avg(avg_over_time(oee{site="plant-a",line=""}[3600s]))');
  });

  it('escapes what could end a label string', () => {
    expect(escapeLabelValue('a"} or vector(1) #\\\n\'')).toBe('a\\"} or vector(1) #\\\\\\n\\\'');
    const hostile = substitutePromql('oee{site="$site"}', { ...request, scope: { site: 'x"} or vector(1) or oee{site="' } });
    expect(hostile).toBe('oee{site="x\\"} or vector(1) or oee{site=\\""}');
  });
});
