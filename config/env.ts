import { z } from 'zod';
import { WorkerSizingEnv } from './worker-sizing';
import { parseAllowList, type WebhookAllowList } from './webhook-allow';
import { RateLimitsSetting } from './rate-limits';

/** Task queue every rollgate worker polls and every rollout is started on. */
export const DEFAULT_TASK_QUEUE = 'rollgate';
/** Port the REST API listens on when PORT is unset. */
export const DEFAULT_API_PORT = 3000;
/** Local PostgreSQL server tried when DATABASE_URL is unset (trust auth, user postgres). */
export const DEFAULT_LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432';
/** Database name created on the PostgreSQL server when DATABASE_URL does not name one. */
export const DEFAULT_DATABASE_NAME = 'rollgate';
/** Address the REST API listens on when HOST is unset: this machine only. */
export const DEFAULT_API_HOST = '127.0.0.1';
/** Directory for local state: the Temporal dev server's SQLite file and the embedded PostgreSQL. */
export const DEFAULT_DATA_DIR = '.data';

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

/**
 * Env is every setting rollgate reads from the environment. It is parsed once at start-up;
 * nothing else reads process.env.
 */
export const Env = z.object({
  /** TEMPORAL_ADDRESS is host:port of the Temporal frontend; unset means `npm start` runs a dev server. */
  TEMPORAL_ADDRESS: optionalString,
  /** TEMPORAL_NAMESPACE defaults to `default`. */
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** TEMPORAL_API_KEY, when set, is sent as a bearer key (implies TLS, as Temporal Cloud expects). */
  TEMPORAL_API_KEY: optionalString,
  /** TEMPORAL_TLS turns TLS on without client certificates. */
  TEMPORAL_TLS: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((value) => value === 'true' || value === '1'),
  /** TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH enable mTLS. */
  TEMPORAL_TLS_CLIENT_CERT_PATH: optionalString,
  TEMPORAL_TLS_CLIENT_KEY_PATH: optionalString,
  /** TEMPORAL_CLI_PATH is a Temporal CLI binary to use for the local dev server. */
  TEMPORAL_CLI_PATH: optionalString,
  /** ROLLGATE_TASK_QUEUE defaults to `rollgate`. */
  ROLLGATE_TASK_QUEUE: z.string().default(DEFAULT_TASK_QUEUE),
  /** DATABASE_URL is a PostgreSQL connection string; unset means the local server, else an embedded one. */
  DATABASE_URL: optionalString,
  /** ROLLGATE_DATA_DIR holds local state (dev server SQLite, embedded PostgreSQL); default `.data`. */
  ROLLGATE_DATA_DIR: z.string().default(DEFAULT_DATA_DIR),
  /** PORT is the REST API's port; default 3000. */
  PORT: z.coerce.number().int().min(0).max(65535).default(DEFAULT_API_PORT),
  /** HOST is the address the REST API listens on; default 127.0.0.1 (0.0.0.0 in a container, see README). */
  HOST: z.string().trim().min(1).default(DEFAULT_API_HOST),
  /** ROLLGATE_RATE_LIMIT overrides request budgets (config/rate-limits.ts), e.g. `principal=600,ingest=30000`, or `off`. */
  ROLLGATE_RATE_LIMIT: RateLimitsSetting,
  /**
   * ROLLGATE_WORKER_METRICS is host:port where the worker serves GET /metrics (its own series and
   * the Temporal SDK's), e.g. 127.0.0.1:9464; unset serves none. The API serves /metrics on PORT.
   */
  ROLLGATE_WORKER_METRICS: optionalString.refine((value) => value === undefined || /^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/.test(value), {
    message: 'is host:port, e.g. 127.0.0.1:9464',
  }),
  /**
   * OTEL_EXPORTER_OTLP_ENDPOINT, when set, turns OpenTelemetry traces on, sent over OTLP/HTTP to
   * `<endpoint>/v1/traces` (telemetry/tracing.ts), e.g. http://127.0.0.1:4318. Unset: no traces.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString,
  /** LOG_LEVEL is one of debug, info, warn, error; default info. It governs every log line, the Temporal SDK's too. */
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** ROLLGATE_WORKER_MAX_CACHED_WORKFLOWS and the rest size the worker (config/worker-sizing.ts). */
  ...WorkerSizingEnv.shape,
  /**
   * ROLLGATE_PROVIDERS_FILE is a YAML or JSON file of the metric providers (config/providers.ts,
   * docs/providers.md); ROLLGATE_PROVIDERS holds the same document inline. The worker queries
   * them, the API checks plans' provider names against them. Default none.
   */
  ROLLGATE_PROVIDERS_FILE: optionalString,
  ROLLGATE_PROVIDERS: optionalString,
  /**
   * ROLLGATE_WEBHOOK_ALLOW lists the webhook hosts and CIDR ranges beyond public addresses that
   * the worker may post to (config/webhook-allow.ts), comma-separated; the API reads it too, to
   * warn about a plan's refused targets at upload. Default none.
   */
  ROLLGATE_WEBHOOK_ALLOW: z
    .string()
    .optional()
    .transform((text, ctx): WebhookAllowList => {
      const { list, errors } = parseAllowList(text);
      for (const message of errors) ctx.addIssue({ code: 'custom', message });
      return list;
    }),
});
export type Env = z.infer<typeof Env>;

/** loadEnv parses the environment once, failing with every problem named. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = Env.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid environment:\n${problems.join('\n')}`);
  }
  return result.data;
}

/**
 * webhookAllowFromEnv reads ROLLGATE_WEBHOOK_ALLOW alone, for the CLI's plan checks, which need
 * no other setting: `rollgate validate` warns of the targets a worker with this setting refuses.
 */
export function webhookAllowFromEnv(source: NodeJS.ProcessEnv = process.env): WebhookAllowList {
  const result = Env.shape.ROLLGATE_WEBHOOK_ALLOW.safeParse(source.ROLLGATE_WEBHOOK_ALLOW);
  if (!result.success) throw new Error(`Invalid environment:\n${result.error.issues.map((issue) => `  ROLLGATE_WEBHOOK_ALLOW: ${issue.message}`).join('\n')}`);
  return result.data;
}

/** Webhook signing secrets are variables with this prefix; plans name them in notifications[].secretEnv. */
export const WEBHOOK_SECRET_PREFIX = 'ROLLGATE_WEBHOOK_SECRET_';

/**
 * pickWebhookSecrets selects the variables named WEBHOOK_SECRET_PREFIX* from env. Pass only these
 * to createWebhookActivities: a plan chooses secretEnv, so a wider map would let a plan author
 * have any variable (DATABASE_URL, say) used as an HMAC key towards a receiver they control.
 */
export function pickWebhookSecrets(env: Record<string, string | undefined>): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith(WEBHOOK_SECRET_PREFIX) && value) secrets[name] = value;
  }
  return secrets;
}
