import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_LOCAL_POSTGRES, loadEnv } from '../../config/env';
import { version } from '../../package.json';
import { installRuntimeLogger } from '../../workers/main';
import { startHarness } from '../support/harness';
import { startDevServer } from '../support/temporal';
import { captureHistories } from './capture';
import { MANIFEST_FILE, readManifest, RECORDED_DIR, type Manifest, type RecordedHistory } from './manifest';
import type { Scenario } from './scenario';

/**
 * Records the workflow histories that test/integration/replay.test.ts replays: every scenario in
 * scenarios/ runs end to end against a throwaway Temporal dev server, a throwaway database, the
 * worker and the REST API, and the history of each workflow run it caused is written to
 * recorded/v<package.json version>/. See test/histories/README.md.
 *
 *   npm run histories:record [-- --replace] [-- --only <scenario>,<scenario>]
 *
 * --replace  overwrite histories already recorded for this version (never do that for a
 *            version that ran in production: bump the version instead);
 * --only     record these scenarios, keeping the version's other histories.
 */

const SCENARIOS_DIR = path.join(__dirname, 'scenarios');
const log = (line: string) => process.stderr.write(`histories: ${line}\n`);

interface Options {
  replace: boolean;
  only?: string[];
}

async function main(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  installRuntimeLogger('WARN');
  const commit = committedWorkflowCode();
  const label = `v${version}`;
  const target = path.join(RECORDED_DIR, label);
  const scenarios = await loadScenarios(options.only);
  const overwritten = options.only ? options.only.filter((name) => fs.existsSync(path.join(target, name))) : fs.existsSync(target) ? [label] : [];
  if (overwritten.length > 0 && !options.replace) {
    throw new Error(`${overwritten.join(', ')} already recorded under ${path.relative(process.cwd(), target)}; pass --replace to record again`);
  }

  const staging = path.join(RECORDED_DIR, `.${label}.partial`);
  fs.rmSync(staging, { recursive: true, force: true });
  process.env.ROLLGATE_TEST_DATABASE_SERVER = databaseServer();
  const recorded: RecordedHistory[] = [];
  for (const [suggestContinueAsNewAfter, group] of groupByServer(scenarios)) {
    log(`starting a Temporal dev server${suggestContinueAsNewAfter === undefined ? '' : ` (suggesting continue-as-new after ${suggestContinueAsNewAfter} events)`}`);
    const server = await startDevServer({ suggestContinueAsNewAfter, log });
    try {
      for (const [name, scenario] of group) recorded.push(...(await recordScenario(name, scenario, server.address, staging, commit)));
    } finally {
      await server.teardown();
    }
  }

  const kept = options.only && fs.existsSync(path.join(target, MANIFEST_FILE)) ? readManifest(target).histories.filter((h) => !options.only!.includes(h.scenario)) : [];
  if (!options.only) fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target, { recursive: true });
  for (const [name] of scenarios) {
    fs.rmSync(path.join(target, name), { recursive: true, force: true });
    fs.renameSync(path.join(staging, name), path.join(target, name));
  }
  fs.rmSync(staging, { recursive: true, force: true });
  const manifest: Manifest = { label, histories: [...kept, ...recorded].sort((a, b) => a.file.localeCompare(b.file)) };
  fs.writeFileSync(path.join(target, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  log(`${recorded.length} histories of ${scenarios.length} scenarios in ${path.relative(process.cwd(), target)} (commit ${commit.slice(0, 12)})`);
}

async function recordScenario(name: string, scenario: Scenario, temporalAddress: string, staging: string, commit: string): Promise<RecordedHistory[]> {
  const started = Date.now();
  const h = await startHarness({ temporalAddress });
  try {
    await scenario.run(h);
    const histories = await captureHistories(h.temporal, h.taskQueue, name, staging, commit);
    log(`${name}: ${histories.length} histories in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return histories;
  } catch (error) {
    throw new Error(`scenario ${name} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    await h.close();
  }
}

function parseOptions(argv: string[]): Options {
  const options: Options = { replace: false };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--replace') options.replace = true;
    else if (argv[i] === '--only' && argv[i + 1]) options.only = argv[++i]!.split(',');
    else throw new Error(`unknown argument ${argv[i]}: use --replace and --only <scenario>,<scenario>`);
  }
  return options;
}

/** committedWorkflowCode returns HEAD's commit, refusing when workflows/ or the policy/ it runs differs from it. */
function committedWorkflowCode(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8' }).trim();
  const changed = git('status', '--porcelain', '--', 'workflows', 'policy');
  if (changed) {
    throw new Error(
      `workflows/ or policy/ has uncommitted changes, so the histories would match no commit:\n${changed}\n` +
        'Commit them, or record from a clean worktree: git worktree add /tmp/rec HEAD && ln -s "$PWD/node_modules" /tmp/rec/node_modules',
    );
  }
  return git('rev-parse', 'HEAD');
}

/** loadScenarios imports scenarios/<name>.ts, each default-exporting a Scenario, in name order. */
async function loadScenarios(only: string[] | undefined): Promise<Array<[string, Scenario]>> {
  const names = fs.readdirSync(SCENARIOS_DIR).filter((file) => file.endsWith('.ts')).map((file) => file.slice(0, -3)).sort();
  const unknown = (only ?? []).filter((name) => !names.includes(name));
  if (unknown.length > 0) throw new Error(`no scenario ${unknown.join(', ')}; scenarios: ${names.join(', ')}`);
  const scenarios: Array<[string, Scenario]> = [];
  for (const name of names.filter((n) => !only || only.includes(n))) {
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) throw new Error(`scenario file ${name}.ts: name scenarios in lower-case words joined by dashes`);
    const scenario = ((await import(path.join(SCENARIOS_DIR, `${name}.ts`))) as { default?: Scenario }).default;
    if (typeof scenario?.run !== 'function') throw new Error(`scenarios/${name}.ts does not default-export a Scenario`);
    scenarios.push([name, scenario]);
  }
  return scenarios;
}

/** groupByServer groups scenarios by the dev server settings they need, so each group shares one server. */
function groupByServer(scenarios: Array<[string, Scenario]>): Map<number | undefined, Array<[string, Scenario]>> {
  const groups = new Map<number | undefined, Array<[string, Scenario]>>();
  for (const entry of scenarios) {
    const key = entry[1].suggestContinueAsNewAfter;
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  return groups;
}

/** databaseServer is DATABASE_URL's server (else the local one) without a database name: each scenario makes its own. */
function databaseServer(): string {
  const url = new URL(loadEnv().DATABASE_URL ?? DEFAULT_LOCAL_POSTGRES);
  url.pathname = '';
  return url.toString().replace(/\/$/, '');
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: Error) => {
    log(error.message);
    process.exit(1);
  },
);
