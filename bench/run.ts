import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * `npm run bench [-- <name>... --<option>=<value>...]` runs the benchmarks in bench/, one after
 * another, each in its own process. A benchmark is a top-level .ts script; files that export
 * something are helpers (as is bench/support/), and this runner is not one either. Names pick
 * benchmarks (default all); options go to every benchmark run.
 */
function main(): number {
  const available = fs
    .readdirSync(__dirname)
    .filter((file) => file.endsWith('.ts') && file !== 'run.ts' && !/^export /m.test(fs.readFileSync(path.join(__dirname, file), 'utf8')))
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
  const args = process.argv.slice(2);
  const options = args.filter((arg) => arg.startsWith('--'));
  const names = args.filter((arg) => !arg.startsWith('--'));
  const unknown = names.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    console.error(`bench: no benchmark ${unknown.join(', ')}; available: ${available.join(', ')}`);
    return 2;
  }
  let failed = 0;
  for (const name of names.length > 0 ? names : available) {
    const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, `${name}.ts`), ...options], { stdio: 'inherit' });
    if (run.status !== 0) failed += 1;
  }
  return failed === 0 ? 0 : 1;
}

process.exit(main());
