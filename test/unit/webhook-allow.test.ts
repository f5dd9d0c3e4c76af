import type { LookupAddress } from 'node:dns';
import { guardedLookup, TARGET_REFUSED, type Resolve } from '../../activities/webhook-transport';
import { loadEnv } from '../../config/env';
import { addressRefusal, parseAllowList, urlRefusal, type WebhookAllowList } from '../../config/webhook-allow';

const NONE: WebhookAllowList = [];
const allow = (text: string): WebhookAllowList => {
  const { list, errors } = parseAllowList(text);
  expect(errors).toEqual([]);
  return list;
};

describe('the default webhook target policy', () => {
  it.each([
    ['loopback', 'http://127.0.0.1:5432/', '127.0.0.1 is a loopback address'],
    ['loopback, anywhere in 127/8', 'http://127.3.2.1/', '127.3.2.1 is a loopback address'],
    ['the metadata service', 'http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address'],
    ['the metadata service as a decimal number', 'http://2852039166/', '169.254.169.254 is a link-local address'],
    ['loopback in hexadecimal parts', 'http://0x7f.1/', '127.0.0.1 is a loopback address'],
    ['IPv6 loopback', 'http://[::1]:7401/', '::1 is a loopback address'],
    ['IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]/', '127.0.0.1 is a loopback address'],
    ['IPv4-mapped IPv6 metadata', 'http://[::ffff:a9fe:a9fe]/', '169.254.169.254 is a link-local address'],
    ['the IPv6 metadata service', 'http://[fd00:ec2::254]/', 'fd00:ec2::254 is a unique local address'],
    ['RFC 1918', 'https://10.20.30.40/hook', '10.20.30.40 is a private address'],
    ['RFC 1918, 172.16/12', 'http://172.31.0.5/', '172.31.0.5 is a private address'],
    ['RFC 1918, 192.168/16', 'http://192.168.1.1/', '192.168.1.1 is a private address'],
    ['carrier-grade NAT', 'http://100.64.0.1/', '100.64.0.1 is a carrier-grade NAT address'],
    ['IPv6 link-local', 'http://[fe80::1]/', 'fe80::1 is a link-local address'],
    ['unspecified', 'http://0.0.0.0:3000/', '0.0.0.0 is the unspecified address'],
    ['IPv6 unspecified', 'http://[::]/', ':: is the unspecified address'],
    ['multicast', 'http://224.0.0.1/', '224.0.0.1 is a multicast address'],
    ['NAT64 of a private address', 'http://[64:ff9b::a00:1]/', '64:ff9b::a00:1 is not a public unicast address'],
    ['IPv4-compatible IPv6 loopback', 'http://[::7f00:1]/', '::7f00:1 is outside the IPv6 global unicast block 2000::/3'],
    ['localhost', 'http://localhost:3000/', 'localhost is loopback'],
    ['a name under .localhost', 'http://cmms.localhost/', 'cmms.localhost is loopback'],
  ])('refuses %s: %s', (_what, url, reason) => {
    expect(urlRefusal(url, NONE)).toContain(reason);
  });

  it.each(['https://cmms.example.com/hooks', 'http://8.8.8.8/', 'http://[2606:4700:4700::1111]/', 'https://internal.example/'])(
    'leaves %s to connect time (public address or a name)',
    (url) => {
      expect(urlRefusal(url, NONE)).toBeUndefined();
    },
  );
});

describe('ROLLGATE_WEBHOOK_ALLOW', () => {
  it('reads host names, *.suffix wildcards and CIDR ranges, IPv4 and IPv6', () => {
    const list = allow(' cmms.plant.example, *.wms.example ,10.20.0.0/16, 127.0.0.1, fd00:1::/64, [::1], ');
    expect(list.map((entry) => [entry.kind, entry.text])).toEqual([
      ['host', 'cmms.plant.example'],
      ['suffix', '*.wms.example'],
      ['cidr', '10.20.0.0/16'],
      ['cidr', '127.0.0.1'],
      ['cidr', 'fd00:1::/64'],
      ['cidr', '[::1]'],
    ]);
    expect(urlRefusal('http://127.0.0.1:7401/', list)).toBeUndefined();
    expect(urlRefusal('http://[::ffff:127.0.0.1]/', list)).toBeUndefined();
    expect(urlRefusal('http://[::1]/', list)).toBeUndefined();
    expect(addressRefusal('10.20.255.1', list)).toBeUndefined();
    expect(addressRefusal('fd00:1::5', list)).toBeUndefined();
    expect(addressRefusal('10.21.0.1', list)).toContain('private');
    expect(addressRefusal('127.0.0.2', list)).toContain('loopback');
    expect(addressRefusal('fd00:2::5', list)).toContain('unique local');
    expect(urlRefusal('http://localhost/', allow('localhost'))).toBeUndefined();
  });

  it('is parsed by loadEnv, which names every bad entry', () => {
    expect(loadEnv({ ROLLGATE_WEBHOOK_ALLOW: '127.0.0.1,*.plant.example' }).ROLLGATE_WEBHOOK_ALLOW).toHaveLength(2);
    expect(loadEnv({}).ROLLGATE_WEBHOOK_ALLOW).toEqual([]);
    expect(() => loadEnv({ ROLLGATE_WEBHOOK_ALLOW: 'cmms host, 10.0.0.0/33' })).toThrow(
      'Invalid environment:\n  ROLLGATE_WEBHOOK_ALLOW: "cmms host" is not a host name, a *.suffix wildcard or a CIDR range\n  ROLLGATE_WEBHOOK_ALLOW: "10.0.0.0/33" is not a CIDR range such as 10.0.0.0/8 or fd00::/8',
    );
  });
});

/** lookup runs a guarded lookup and returns what it hands the socket, or the error's code and message. */
function lookup(policy: WebhookAllowList, hostname: string, resolve?: Resolve, all = false): Promise<unknown> {
  return new Promise((done) => {
    const callback = (error: NodeJS.ErrnoException | null, address?: string | LookupAddress[], family?: number) =>
      done(error ? { code: error.code, message: error.message } : all ? address : { address, family });
    guardedLookup(policy, resolve)(hostname, { all }, callback as never);
  });
}

const resolver =
  (answers: Record<string, string[]>): Resolve =>
  (hostname, _options, callback) =>
    callback(
      null,
      (answers[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );

describe('the lookup webhook connections go through', () => {
  it('refuses a name that resolves to loopback, with the system resolver (localhost)', async () => {
    expect(await lookup(NONE, 'localhost')).toEqual({ code: TARGET_REFUSED, message: expect.stringMatching(/^target host localhost resolves to (127\.0\.0\.1|::1) is a loopback address/) });
  });

  it('judges every address a name resolves to, and hands over only judged ones', async () => {
    const resolve = resolver({ 'mixed.example': ['93.184.216.34', '10.0.0.7'], 'public.example': ['93.184.216.34', '2606:2800:220:1::1'] });
    expect(await lookup(NONE, 'mixed.example', resolve)).toEqual({ code: TARGET_REFUSED, message: expect.stringContaining('10.0.0.7 is a private address') });
    expect(await lookup(NONE, 'public.example', resolve)).toEqual({ address: '93.184.216.34', family: 4 });
    expect(await lookup(NONE, 'public.example', resolve, true)).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ]);
  });

  it('refuses a rebinding name on the answer it connects with, however it answered before', async () => {
    let calls = 0;
    const rebinding: Resolve = (_hostname, _options, callback) => {
      calls += 1;
      callback(null, [{ address: calls === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 }]);
    };
    expect(await lookup(NONE, 'rebind.example', rebinding)).toEqual({ address: '93.184.216.34', family: 4 });
    expect(await lookup(NONE, 'rebind.example', rebinding)).toEqual({ code: TARGET_REFUSED, message: expect.stringContaining('127.0.0.1 is a loopback address') });
  });

  it('lets an allowed name resolve anywhere, and an allowed range be connected to', async () => {
    const resolve = resolver({ 'cmms.plant.example': ['10.1.2.3'], 'wms.example': ['127.0.0.1'] });
    expect(await lookup(allow('cmms.plant.example'), 'cmms.plant.example', resolve)).toEqual({ address: '10.1.2.3', family: 4 });
    expect(await lookup(allow('127.0.0.0/8'), 'wms.example', resolve)).toEqual({ address: '127.0.0.1', family: 4 });
  });
});
