import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The API talks to workflows through their message files alone: loading it must run no
 * workflow module that calls proxyActivities (a sandbox-only call) or anything else of a
 * workflow's implementation. This loads the API's entry module in a fresh Node process and
 * reads which modules Node actually loaded, type-only imports being erased.
 */

const ROOT = path.join(__dirname, '../..');

/** The message files: one per workflow, the only workflow modules the API is meant to load. */
const MESSAGE_FILES = ['workflows/rollout/messages.ts', 'workflows/steady-state-messages.ts', 'workflows/decision-messages.ts'];

/**
 * The search attribute keys: names the API starts and lists rollouts by, defined with
 * @temporalio/common alone. The rules the API shares with the workflows live in policy/.
 */
const SHARED_NAMES = ['workflows/search-attributes.ts'];

function modulesLoadedBy(entry: string): string[] {
  const script = `require(${JSON.stringify(entry)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  return (JSON.parse(out) as string[]).filter((file) => !file.includes(`${path.sep}node_modules${path.sep}`)).map((file) => path.relative(ROOT, file));
}

const loaded = modulesLoadedBy('./api/server.ts');

it('loads the API with its own modules', () => {
  expect(loaded).toEqual(expect.arrayContaining(['api/server.ts', 'api/rollout-actions.ts', 'workflows/rollout/messages.ts']));
});

it('runs no module that calls proxyActivities', () => {
  const calling = loaded.filter((file) => /\bproxyActivities\s*[<(]/.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));
  expect(calling).toEqual([]);
});

it('loads of workflows/ only the message files and the search attribute names', () => {
  const allowed = new Set([...MESSAGE_FILES, ...SHARED_NAMES]);
  expect(loaded.filter((file) => file.startsWith('workflows/') && !allowed.has(file))).toEqual([]);
});
