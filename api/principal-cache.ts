import type { Principal } from '../db/tokens';
import type { TokenChangeHandlers } from '../db/token-changes';

/** How long a principal is reused without a new lookup, should a change notification go astray. */
export const PRINCIPAL_TTL_MS = 10_000;
/** Most principals kept; the oldest goes first. */
const MAX_ENTRIES = 10_000;

/**
 * PrincipalCache keeps the principals of live tokens by token hash, so a busy client is not
 * looked up in the database on every request. It is only used while a listener hears token
 * changes (db/token-changes.ts): any change clears it, and while nobody listens every request
 * is looked up. A revocation therefore takes effect as soon as its notification arrives, which
 * is after the revoking transaction commits, so a request racing that commit may still pass;
 * a notification that goes astray is covered by ttlMs. Unknown and revoked tokens are never
 * kept: a new token works at once.
 */
export class PrincipalCache implements TokenChangeHandlers {
  private readonly entries = new Map<string, { principal: Principal; expires: number }>();
  /** generation counts clears: a lookup that started before one must not fill the cache after it. */
  private generation = 0;
  private active = false;

  constructor(
    private readonly load: (hash: string) => Promise<Principal | undefined>,
    private readonly ttlMs = PRINCIPAL_TTL_MS,
  ) {}

  async principal(hash: string): Promise<Principal | undefined> {
    if (!this.active) return this.load(hash);
    const now = Date.now();
    const hit = this.entries.get(hash);
    if (hit && hit.expires > now) return hit.principal;
    const generation = this.generation;
    const principal = await this.load(hash);
    if (principal && this.active && generation === this.generation) {
      this.entries.delete(hash);
      this.entries.set(hash, { principal, expires: now + this.ttlMs });
      if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    }
    return principal;
  }

  listening(): void {
    this.clear();
    this.active = true;
  }

  changed(): void {
    this.clear();
  }

  lost(): void {
    this.clear();
    this.active = false;
  }

  private clear(): void {
    this.generation += 1;
    this.entries.clear();
  }
}
