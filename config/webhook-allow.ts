import ipaddr from 'ipaddr.js';

/**
 * The webhook target policy. Plans choose webhook URLs, and the worker posts to them, so a plan
 * author could aim the worker at hosts only it can reach: the database, the Temporal frontend,
 * a cloud metadata service. The worker therefore connects only to public unicast addresses
 * unless the operator allows more with ROLLGATE_WEBHOOK_ALLOW, a comma-separated list of
 *
 *   - host names, e.g. `cmms.plant.example`: that name may resolve to any address;
 *   - `*.suffix` wildcards, e.g. `*.plant.example`: every name under the suffix (not the suffix itself);
 *   - CIDR ranges or single addresses, IPv4 or IPv6, e.g. `10.20.0.0/16`, `127.0.0.1`, `fd00:1::/64`.
 *
 * Refused by default is every address ipaddr.js does not class as public unicast: loopback,
 * link-local (and with it the metadata service 169.254.169.254), private (RFC 1918), unique
 * local (fc00::/7, with the metadata service fd00:ec2::254), carrier-grade NAT, unspecified,
 * broadcast, multicast, reserved and documentation ranges, and IPv6 forms that embed an IPv4
 * address (NAT64, 6to4, Teredo). An IPv4-mapped IPv6 address is judged as its IPv4 address.
 *
 * Addresses are judged after name resolution, at connect time (activities/webhook-transport.ts),
 * so a name that resolves to a refused address, or changes its answer between checks (DNS
 * rebinding), is refused too. Pure: no I/O.
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export type WebhookAllowEntry =
  | { kind: 'host'; text: string; host: string }
  | { kind: 'suffix'; text: string; suffix: string }
  | { kind: 'cidr'; text: string; range: [Address, number] };

/** WebhookAllowList is ROLLGATE_WEBHOOK_ALLOW parsed; empty means the default policy only. */
export type WebhookAllowList = readonly WebhookAllowEntry[];

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** parseAllowEntry reads one entry of ROLLGATE_WEBHOOK_ALLOW, or says why it cannot. */
export function parseAllowEntry(raw: string): WebhookAllowEntry | { error: string } {
  const text = raw.trim().toLowerCase();
  if (text.includes('/') || ipaddr.isValid(unbracket(text))) {
    try {
      const range = text.includes('/') ? ipaddr.parseCIDR(text) : single(ipaddr.parse(unbracket(text)));
      return { kind: 'cidr', text, range: normalizeRange(range) };
    } catch {
      return { error: `${JSON.stringify(raw.trim())} is not a CIDR range such as 10.0.0.0/8 or fd00::/8` };
    }
  }
  if (text.startsWith('*.')) {
    const suffix = text.slice(2);
    if (HOST_NAME.test(suffix)) return { kind: 'suffix', text, suffix };
  } else if (HOST_NAME.test(text)) {
    return { kind: 'host', text, host: text };
  }
  return { error: `${JSON.stringify(raw.trim())} is not a host name, a *.suffix wildcard or a CIDR range` };
}

/** parseAllowList reads the whole comma-separated list; empty entries are ignored. */
export function parseAllowList(text: string | undefined): { list: WebhookAllowList; errors: string[] } {
  const list: WebhookAllowEntry[] = [];
  const errors: string[] = [];
  for (const part of (text ?? '').split(',')) {
    if (part.trim() === '') continue;
    const entry = parseAllowEntry(part);
    if ('error' in entry) errors.push(entry.error);
    else list.push(entry);
  }
  return { list, errors };
}

/** hostAllowed: the operator allowed this host name (as a name, not as an address). */
export function hostAllowed(host: string, allow: WebhookAllowList): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return allow.some((entry) => (entry.kind === 'host' ? entry.host === name : entry.kind === 'suffix' ? name.endsWith(`.${entry.suffix}`) : false));
}

/**
 * addressRefusal says why the worker may not connect to address (an IPv4 or IPv6 address as
 * text), or undefined when it may: a public unicast address, or one in an allowed range.
 */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

export function addressRefusal(address: string, allow: WebhookAllowList): string | undefined {
  const text = unbracket(address);
  if (!ipaddr.isValid(text)) return `${address} is not an IP address`;
  const parsed = ipaddr.process(text);
  if (allow.some((entry) => entry.kind === 'cidr' && entry.range[0].kind() === parsed.kind() && parsed.match(entry.range))) return undefined;
  const range = parsed.range();
  // IPv6 is allowed within the global unicast block 2000::/3 only: ipaddr.js classes the
  // deprecated IPv4-compatible form (::7f00:1, which is 127.0.0.1) and other reserved space as
  // unicast.
  if (range === 'unicast' && (parsed.kind() === 'ipv4' || parsed.match(GLOBAL_UNICAST_V6))) return undefined;
  if (range === 'unicast') return `${parsed.toString()} is outside the IPv6 global unicast block 2000::/3, refused unless ROLLGATE_WEBHOOK_ALLOW allows it`;
  return `${parsed.toString()} is ${RANGE_WORDS[range] ?? `not a public unicast address (${range})`}, refused unless ROLLGATE_WEBHOOK_ALLOW allows it`;
}

/**
 * urlRefusal judges a webhook URL without resolving its host: an address in the URL is judged as
 * above (the WHATWG URL parser has already turned `2852039166` or `0x7f.1` into dotted form), and
 * `localhost` and names under `.localhost`, which resolve to loopback (RFC 6761), are refused
 * unless allowed by name. Any other name is left to connect time; undefined means not refused so far.
 */
export function urlRefusal(url: string, allow: WebhookAllowList): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return `${JSON.stringify(url)} is not a URL`;
  }
  if (ipaddr.isValid(unbracket(host))) {
    const refusal = addressRefusal(host, allow);
    return refusal === undefined ? undefined : `target ${refusal}`;
  }
  if (hostAllowed(host, allow)) return undefined;
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) {
    return `target host ${host} is loopback, refused unless ROLLGATE_WEBHOOK_ALLOW allows it`;
  }
  return undefined;
}

const RANGE_WORDS: Record<string, string> = {
  loopback: 'a loopback address',
  linkLocal: 'a link-local address (the range of cloud metadata services)',
  private: 'a private address (RFC 1918)',
  uniqueLocal: 'a unique local address (fc00::/7)',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10)',
  unspecified: 'the unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
};

function unbracket(text: string): string {
  return text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
}

function single(address: Address): [Address, number] {
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}

/** normalizeRange turns an IPv4-mapped IPv6 range (::ffff:10.0.0.0/104) into its IPv4 range. */
function normalizeRange([address, bits]: [Address, number]): [Address, number] {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [address, bits];
}
