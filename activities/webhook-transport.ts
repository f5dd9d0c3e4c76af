import dns, { type LookupAddress, type LookupAllOptions, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent } from 'undici';
import { addressRefusal, hostAllowed, urlRefusal, type WebhookAllowList } from '../config/webhook-allow';

/**
 * The connection side of the webhook target policy (config/webhook-allow.ts): an undici Agent
 * whose every connection goes through guardedLookup, which resolves the host, judges every
 * address it resolves to, and hands the socket only addresses it judged. A host name that
 * resolves to a refused address is refused, however often its answer changes, because the
 * address judged is the address connected to. Address literals never reach a lookup, so
 * checkTargetUrl judges those before the request.
 */

/** TARGET_REFUSED is the `code` of the error a refused target fails its request with. */
export const TARGET_REFUSED = 'ERR_ROLLGATE_WEBHOOK_TARGET_REFUSED';

/** TargetRefusedError: the policy refuses the target; its message says which address and why. */
export class TargetRefusedError extends Error {
  readonly code = TARGET_REFUSED;
  constructor(message: string) {
    super(message);
    this.name = 'TargetRefusedError';
  }
}

/** Resolve is dns.lookup with `all: true`; tests pass another to play a rebinding resolver. */
export type Resolve = (hostname: string, options: LookupAllOptions, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

const systemResolve: Resolve = (hostname, options, callback) => dns.lookup(hostname, options, callback);

/** guardedLookup is a net `lookup` that fails with TargetRefusedError unless every address of the host is allowed. */
export function guardedLookup(allow: WebhookAllowList, resolve: Resolve = systemResolve): LookupFunction {
  return (hostname: string, options: LookupOptions, callback: (...args: never[]) => void) => {
    const reply = callback as unknown as (error: NodeJS.ErrnoException | null, address?: string | LookupAddress[], family?: number) => void;
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return reply(error);
      if (addresses.length === 0) return reply(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }));
      if (!hostAllowed(hostname, allow)) {
        for (const { address } of addresses) {
          const refusal = addressRefusal(address, allow);
          if (refusal !== undefined) return reply(new TargetRefusedError(`target host ${hostname} resolves to ${refusal}`));
        }
      }
      if (options.all) return reply(null, addresses);
      return reply(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** createGuardedAgent is the dispatcher webhook requests go through. */
export function createGuardedAgent(allow: WebhookAllowList, resolve?: Resolve): Agent {
  return new Agent({ connect: { lookup: guardedLookup(allow, resolve) } });
}

/** checkTargetUrl judges the URL's host before any connection: addresses written in the URL and loopback names. */
export function checkTargetUrl(url: string, allow: WebhookAllowList): void {
  const refusal = urlRefusal(url, allow);
  if (refusal !== undefined) throw new TargetRefusedError(refusal);
}

/** targetRefusal finds a TargetRefusedError in error or its causes (fetch wraps socket errors), read by shape across realms. */
export function targetRefusal(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (code === TARGET_REFUSED && typeof message === 'string') return message;
    current = cause;
  }
  return undefined;
}
