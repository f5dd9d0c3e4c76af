import { MAX_PLAN_BYTES } from '../../definitions/load';

/**
 * anchoredPlan is a plan of nearly MAX_PLAN_BYTES that holds one YAML anchor, which sends it to
 * the yaml package rather than the fast reader: about 1–2 s of CPU to load, and it is refused
 * (its stages are not mappings). The worst plan the loader gets at the size limit.
 */
export function anchoredPlan(name = 'anchored'): string {
  return fill(`name: ${name}\nowner: &owner test-lead\nstages:\n`, (i) => `  - s${i}\n`);
}

/**
 * manyKeysPlan holds about 90,000 unknown keys in one mapping: checking them costs the loader
 * well over a minute of CPU, far beyond any budget.
 */
export function manyKeysPlan(): string {
  return fill('name: many-keys\nowner: &owner test-lead\nextra:\n', (i) => `  k${i}: v\n`);
}

/** fill appends lines to head while the text stays within MAX_PLAN_BYTES (ASCII lines only). */
function fill(head: string, line: (i: number) => string): string {
  const lines = [head];
  let bytes = head.length;
  for (let i = 0; ; i += 1) {
    const next = line(i);
    if (bytes + next.length > MAX_PLAN_BYTES) break;
    lines.push(next);
    bytes += next.length;
  }
  return lines.join('');
}
