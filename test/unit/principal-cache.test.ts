import { PrincipalCache } from '../../api/principal-cache';
import type { Principal } from '../../db/tokens';

const alice: Principal = { name: 'alice', kind: 'person', roles: ['deployment-lead'], tokenId: 'tok_a' };

/** counting makes a cache whose lookups are counted and answer from live (hash → principal). */
function counting(live: Map<string, Principal>) {
  const calls: string[] = [];
  const cache = new PrincipalCache(async (hash) => {
    calls.push(hash);
    return live.get(hash);
  });
  return { cache, calls };
}

describe('PrincipalCache', () => {
  it('looks every request up until it listens for token changes', async () => {
    const { cache, calls } = counting(new Map([['h-alice', alice]]));
    await cache.principal('h-alice');
    await cache.principal('h-alice');
    expect(calls).toEqual(['h-alice', 'h-alice']);
  });

  it('keeps live principals while listening, and forgets them all on any token change', async () => {
    const live = new Map([['h-alice', alice]]);
    const { cache, calls } = counting(live);
    cache.listening();
    expect(await cache.principal('h-alice')).toEqual(alice);
    expect(await cache.principal('h-alice')).toEqual(alice);
    expect(calls).toHaveLength(1);

    live.delete('h-alice');
    cache.changed();
    expect(await cache.principal('h-alice')).toBeUndefined();
    expect(calls).toHaveLength(2);
  });

  it('never keeps an unknown or revoked token, so a token made later works at once', async () => {
    const live = new Map<string, Principal>();
    const { cache, calls } = counting(live);
    cache.listening();
    expect(await cache.principal('h-new')).toBeUndefined();
    live.set('h-new', alice);
    expect(await cache.principal('h-new')).toEqual(alice);
    expect(calls).toEqual(['h-new', 'h-new']);
  });

  it('looks every request up again once the listener is lost', async () => {
    const { cache, calls } = counting(new Map([['h-alice', alice]]));
    cache.listening();
    await cache.principal('h-alice');
    cache.lost();
    await cache.principal('h-alice');
    await cache.principal('h-alice');
    expect(calls).toHaveLength(3);
  });

  it('does not keep what a lookup under way found when a change arrives before it answers', async () => {
    let answer: (principal: Principal | undefined) => void = () => undefined;
    const calls: string[] = [];
    const cache = new PrincipalCache((hash) => {
      calls.push(hash);
      return new Promise((resolve) => (answer = resolve));
    });
    cache.listening();
    const inFlight = cache.principal('h-alice');
    cache.changed();
    answer(alice);
    expect(await inFlight).toEqual(alice);
    const next = cache.principal('h-alice');
    answer(undefined);
    expect(await next).toBeUndefined();
    expect(calls).toHaveLength(2);
  });
});
