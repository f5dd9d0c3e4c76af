import { status } from '@grpc/grpc-js';
import { isGrpcServiceError } from '@temporalio/client';
import { Problem, ProblemType } from './problem';

/** How long clients are asked to wait before retrying a request a dependency outage refused. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

/** Dependency is a service the API cannot answer without. */
export type Dependency = 'PostgreSQL' | 'Temporal';

/** unavailable is the 503 problem for an outage of dependency, with Retry-After. */
export function unavailable(dependency: Dependency, cause?: string): Problem {
  return new Problem(
    503,
    ProblemType.unavailable,
    `${dependency} unavailable`,
    `${dependency} cannot be reached${cause ? ` (${cause})` : ''}; retry after ${OUTAGE_RETRY_AFTER_SECONDS} seconds.`,
    undefined,
    { dependency },
    { 'Retry-After': String(OUTAGE_RETRY_AFTER_SECONDS) },
  );
}

/** outageProblem is the 503 for an error that means PostgreSQL or Temporal is unreachable, else undefined. */
export function outageProblem(error: unknown): Problem | undefined {
  const postgres = postgresOutage(error);
  if (postgres) return unavailable('PostgreSQL', postgres);
  const grpc = grpcCodeOf(error);
  const outage = grpc === undefined ? undefined : TEMPORAL_OUTAGES.get(grpc);
  if (outage) return unavailable('Temporal', outage);
  return undefined;
}

// ── PostgreSQL ──────────────────────────────────────────────────────────────────────────

/** Socket error codes of a connection that cannot be made or was lost. */
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/**
 * SQLSTATEs of an unavailable server: admin_shutdown (57P01, a restart or pg_terminate_backend),
 * crash_shutdown (57P02), cannot_connect_now (57P03, starting up or shutting down),
 * too_many_connections (53300); class 08 is connection exceptions.
 */
const SERVER_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300']);
/** Messages pg and pg-pool raise without a code when a connection is lost or never made. */
const CONNECTION_MESSAGES = [
  /^timeout exceeded when trying to connect$/i,
  /^Connection terminated/i,
  /^Client has encountered a connection error and is not queryable$/i,
  /^Cannot use a pool after calling end on the pool$/i,
];

/** postgresOutage names why error means PostgreSQL is unreachable (a code or a message), else undefined. */
export function postgresOutage(error: unknown): string | undefined {
  for (const item of causes(error)) {
    const { code, message } = item as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (SOCKET_ERRORS.has(code) || SERVER_UNAVAILABLE.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return code;
    if (typeof message === 'string' && CONNECTION_MESSAGES.some((pattern) => pattern.test(message))) return message;
    // Node reports a failed connect to a name with several addresses as one AggregateError.
    if (item instanceof AggregateError) {
      const inner = item.errors.map(postgresOutage).find(Boolean);
      if (inner) return inner;
    }
  }
  return undefined;
}

// ── Temporal (gRPC) ─────────────────────────────────────────────────────────────────────

/** The gRPC codes that mean Temporal cannot be reached now, by name. */
const TEMPORAL_OUTAGES: ReadonlyMap<number, string> = new Map([
  [status.UNAVAILABLE, 'UNAVAILABLE'],
  [status.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED'],
]);

/**
 * grpcCodeOf is the gRPC status code of error or of the first error in its cause chain that is
 * a gRPC service error (isGrpcServiceError): the Temporal client throws them as they are, or
 * wrapped in a ServiceError whose `cause` holds one.
 */
export function grpcCodeOf(error: unknown): status | undefined {
  for (const item of causes(error)) {
    if (isGrpcServiceError(item)) return item.code;
  }
  return undefined;
}

/** How deep a cause chain is followed; chains are short, and this bounds a cyclic one. */
const MAX_CAUSE_DEPTH = 8;

/** causes is error followed by its causes, outermost first. */
function* causes(error: unknown): Generator<unknown> {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current !== null && current !== undefined; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}
