/**
 * A seeded pseudo-random source for synthetic evidence: mulberry32 (32-bit state), with normal
 * deviates by the Box–Muller transform. Deterministic for a seed, so a noise simulation and its
 * tests give the same figures on every run.
 */
export interface Random {
  /** uniform is in [0, 1). */
  uniform(): number;
  /** normal is N(mean, sd²). */
  normal(mean?: number, sd?: number): number;
}

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | undefined;
  const normal = (mean = 0, sd = 1): number => {
    if (spare !== undefined) {
      const z = spare;
      spare = undefined;
      return mean + sd * z;
    }
    const u = 1 - uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  };
  return { uniform, normal };
}
