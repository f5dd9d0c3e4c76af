import fs from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';

/**
 * Metric providers: the systems a plan's pulled metrics are queried from (docs/providers.md).
 * The operator names them, with their addresses and credentials, in ROLLGATE_PROVIDERS_FILE (a
 * YAML or JSON file) or ROLLGATE_PROVIDERS (the same document inline); a plan names only the
 * provider and gives a query, so credentials never appear in plans.
 *
 * Addresses are the operator's: they are not held to the webhook target policy
 * (config/webhook-allow.ts), which guards the addresses plans choose. A historian on the
 * plant network or a Prometheus on loopback is the usual case.
 */

/** Longest a single query may take, and the default: with every attempt and its back-off, a query ends well inside the 30 s an evaluation activity has. */
export const MAX_PROVIDER_TIMEOUT_MS = 8_000;
export const DEFAULT_PROVIDER_TIMEOUT_MS = 5_000;
/** Attempts of one query before its criterion is inconclusive, at most and by default. */
export const MAX_PROVIDER_ATTEMPTS = 3;
export const DEFAULT_PROVIDER_ATTEMPTS = 2;

const timeoutMs = z
  .number()
  .int()
  .min(100)
  .max(MAX_PROVIDER_TIMEOUT_MS)
  .default(DEFAULT_PROVIDER_TIMEOUT_MS)
  .describe(`timeoutMs: how long one query may take, 100 to ${MAX_PROVIDER_TIMEOUT_MS} ms. Default ${DEFAULT_PROVIDER_TIMEOUT_MS}.`);
const attempts = z
  .number()
  .int()
  .min(1)
  .max(MAX_PROVIDER_ATTEMPTS)
  .default(DEFAULT_PROVIDER_ATTEMPTS)
  .describe(`attempts: tries of a query that errs or times out, 1 to ${MAX_PROVIDER_ATTEMPTS}. Default ${DEFAULT_PROVIDER_ATTEMPTS}.`);
const httpUrl = z.url({ protocol: /^https?$/ });

export const Tls = z
  .strictObject({
    caFile: z.string().min(1).optional().describe('caFile: a PEM file of the CA certificates to trust instead of the system ones.'),
    certFile: z.string().min(1).optional().describe('certFile: a PEM client certificate, for mutual TLS.'),
    keyFile: z.string().min(1).optional().describe('keyFile: the PEM key of certFile.'),
    insecureSkipVerify: z.boolean().default(false).describe('insecureSkipVerify: true accepts any server certificate. Default false.'),
  })
  .describe('tls: TLS settings for an https address.');
export type Tls = z.infer<typeof Tls>;

const HttpAuth = {
  bearerToken: z.string().min(1).optional().describe('bearerToken: sent as Authorization: Bearer.'),
  basicAuth: z.strictObject({ username: z.string().min(1), password: z.string() }).optional().describe('basicAuth: username and password.'),
  tls: Tls.optional(),
};

export const PrometheusProvider = z.strictObject({
  kind: z.literal('prometheus'),
  address: httpUrl.describe('address: the Prometheus HTTP API base, e.g. http://127.0.0.1:9090.'),
  ...HttpAuth,
  timeoutMs,
  attempts,
});
export const SqlProvider = z.strictObject({
  kind: z.literal('sql'),
  connectionString: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string')
    .describe('connectionString: a PostgreSQL (or TimescaleDB) connection string of a read-only role.'),
  timeoutMs,
  attempts,
});
export const InfluxProvider = z.strictObject({
  kind: z.literal('influxdb'),
  address: httpUrl.describe('address: the InfluxDB 1.x HTTP API base, e.g. http://127.0.0.1:8086.'),
  database: z.string().min(1).describe('database: the database the queries run in.'),
  username: z.string().min(1).optional(),
  password: z.string().optional(),
  ...HttpAuth,
  timeoutMs,
  attempts,
});
export const HttpProvider = z.strictObject({
  kind: z.literal('http'),
  url: httpUrl.describe('url: the JSON endpoint; from, to, window (seconds) and the scope (site, line…) are added as query parameters.'),
  headers: z.record(z.string(), z.string()).optional().describe('headers: extra request headers, e.g. an API key.'),
  ...HttpAuth,
  timeoutMs,
  attempts,
});

export const Provider = z.discriminatedUnion('kind', [PrometheusProvider, SqlProvider, InfluxProvider, HttpProvider]);
export type Provider = z.infer<typeof Provider>;
export type ProviderKind = Provider['kind'];

const ProviderName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes, starting with a letter or digit');
export const ProvidersConfig = z.strictObject({ providers: z.record(ProviderName, Provider) });
export type Providers = Record<string, Provider>;

/**
 * parseProviders reads a providers document (YAML, of which JSON is a part). Problems name their
 * place as `where:line:column: path: message`.
 */
export function parseProviders(text: string, where: string): { providers: Providers } | { errors: string[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return { errors: doc.errors.map((error) => `${where}:${error.linePos?.[0].line ?? 1}:${error.linePos?.[0].col ?? 1}: ${error.message.split('\n')[0]}`) };
  }
  const parsed = ProvidersConfig.safeParse(doc.toJS());
  if (parsed.success) return { providers: parsed.data.providers };
  return {
    errors: parsed.error.issues.map((issue) => {
      const path = issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part));
      const position = positionOf(doc, path, lineCounter);
      return `${where}:${position.line}:${position.col}: ${path.join('.') || '(document)'}: ${issue.message}`;
    }),
  };
}

/** positionOf finds the deepest node of path that exists and gives its line and column. */
function positionOf(doc: ReturnType<typeof parseDocument>, path: ReadonlyArray<string | number>, lineCounter: LineCounter): { line: number; col: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return lineCounter.linePos(node.range[0]);
  }
  return { line: 1, col: 1 };
}

/**
 * loadProviders reads ROLLGATE_PROVIDERS_FILE, else ROLLGATE_PROVIDERS, else none; it throws
 * with every problem named. The API needs only the names (providerNames).
 */
export function loadProviders(env: { ROLLGATE_PROVIDERS_FILE?: string; ROLLGATE_PROVIDERS?: string } = process.env): Providers {
  const file = env.ROLLGATE_PROVIDERS_FILE?.trim();
  const inline = env.ROLLGATE_PROVIDERS?.trim();
  if (file && inline) throw new Error('Invalid environment:\n  set ROLLGATE_PROVIDERS_FILE or ROLLGATE_PROVIDERS, not both');
  if (!file && !inline) return {};
  let text: string;
  try {
    text = file ? fs.readFileSync(file, 'utf8') : inline!;
  } catch (error) {
    throw new Error(`Invalid environment:\n  ROLLGATE_PROVIDERS_FILE: cannot read ${file}: ${(error as Error).message}`);
  }
  const result = parseProviders(text, file ?? 'ROLLGATE_PROVIDERS');
  if ('errors' in result) throw new Error(`Invalid metric providers:\n${result.errors.map((line) => `  ${line}`).join('\n')}`);
  return result.providers;
}

/** providerNames lists the configured providers' names, what plan checks need. */
export function providerNames(providers: Providers): string[] {
  return Object.keys(providers).sort();
}
