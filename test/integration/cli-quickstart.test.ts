import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, type Harness } from '../support/harness';
import { REPO, runInRepo, type Run } from '../support/rollgate-cli';

/**
 * The README section "A first rollout with the CLI", run as written: its shell block is read
 * from README.md and run by bash against the real stack, so the test fails when the README's
 * commands stop working.
 */

// Two stages of a minute each, and each command a process of its own on a busy machine.
jest.setTimeout(600_000);

const SECTION = '## A first rollout with the CLI';
/** The server the README's reader starts with `npm start`. */
const README_URL = 'http://127.0.0.1:3000';

/** quickStartScript is the shell of the README section: its ```sh blocks, in order. */
function quickStartScript(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const start = readme.indexOf(SECTION);
  if (start < 0) throw new Error(`README.md has no section "${SECTION}"`);
  const end = readme.indexOf('\n## ', start + SECTION.length);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
  if (blocks.length === 0) throw new Error(`the README section "${SECTION}" has no sh block`);
  return blocks.join('\n');
}

/**
 * The substitutions, and nothing else is changed:
 * - `npm start` is the harness (its API on a free port, its throwaway database): the README's
 *   URL becomes the harness's, and `rollgate token` gets the harness's DATABASE_URL;
 * - `npx rollgate` is `node cli/bin.js` of this checkout (npx would look the name up elsewhere);
 * - the reader waits: "after its minute" is `approve` tried again while the stage is not yet
 *   awaiting sign-off, and `inbox` again while nothing waits, each for at most three minutes.
 * The script runs with `set -euo pipefail`, so any command that fails fails the test.
 */
const PRELUDE = String.raw`set -euo pipefail
rollgate_once() { node "$REPO/cli/bin.js" "$@"; }
rollgate_waiting() {
  local out err code tries=0
  while :; do
    code=0
    out=$(rollgate_once "$@" 2>"$TMP/stderr") || code=$?
    err=$(cat "$TMP/stderr")
    if [ "$1" = approve ] && [ "$code" = 1 ] && [[ "$err" == *"not awaiting sign-off"* ]]; then :
    elif [ "$1" = inbox ] && [ "$code" = 0 ] && [ -z "$out" ]; then :
    else
      [ -n "$out" ] && printf '%s\n' "$out"
      [ -n "$err" ] && printf '%s\n' "$err" >&2
      return "$code"
    fi
    tries=$((tries + 1))
    [ "$tries" -lt 90 ] || { printf '%s\n' "$err" >&2; echo "gave up waiting: rollgate $*" >&2; return 1; }
    sleep 2
  done
}
npx() {
  [ "$1" = rollgate ] || { echo "unexpected: npx $*" >&2; return 127; }
  shift
  case "$1" in
    approve|inbox) rollgate_waiting "$@" ;;
    *) rollgate_once "$@" ;;
  esac
}
`;

const bash = (script: string, env: Record<string, string>): Promise<Run> => runInRepo('bash', ['-c', script], env);

let h: Harness;
let dir: string;

beforeAll(async () => {
  h = await startHarness();
  dir = mkdtempSync(join(tmpdir(), 'rollgate-quickstart-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await h?.close();
});

it('runs the README quick start as written, to a completed rollout', async () => {
  const script = quickStartScript();
  expect(script).toContain(README_URL);
  const run = await bash(PRELUDE + script.split(README_URL).join(h.url), {
    REPO,
    TMP: dir,
    DATABASE_URL: h.databaseUrl,
    XDG_CONFIG_HOME: join(dir, 'config'),
    ROLLGATE_URL: '',
    ROLLGATE_TOKEN: '',
  });
  if (run.code !== 0) throw new Error(`the quick start failed (exit ${run.code}):\n${run.stderr}\n--- stdout:\n${run.stdout}`);

  const rollout = await h.http('GET', '/v1/rollouts/qs-1');
  expect(rollout.body).toMatchObject({ state: 'completed', stages: [expect.objectContaining({ id: 'pilot', state: 'passed' }), expect.objectContaining({ id: 'supervised', state: 'passed' })] });
  // The script's own output says so too: the watched tree ends completed, and the trail has both sign-offs.
  expect(run.stdout).toMatch(/^qs-1 {2}quickstart v1 {2}completed$/m);
  expect(run.stdout.split('\n').filter((line) => line.split('\t')[1] === 'stage.approved')).toHaveLength(2);
});
