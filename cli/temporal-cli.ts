import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { loadEnv } from '../config/env';

/**
 * TEMPORAL_CLI_VERSION is the Temporal CLI release built when none is installed. Later releases
 * carry a `replace` directive in go.mod, which makes `go install module@version` refuse them.
 */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
const BUILD_PROGRESS_INTERVAL_MS = 15_000;
const VERSION_CHECK_TIMEOUT_MS = 15_000;

export interface ResolveTemporalCliOptions {
  /** cliPath is an explicit binary (TEMPORAL_CLI_PATH); it wins when it runs. */
  cliPath?: string;
  /** log receives progress lines; the build takes minutes. */
  log?: (line: string) => void;
}

/**
 * resolveTemporalCli returns the path of a working Temporal CLI binary, trying in order:
 * options.cliPath, `temporal` on PATH, the cached build, and a fresh `go install` into the cache.
 * It returns undefined when none works, meaning "let @temporalio/testing download its own".
 */
export async function resolveTemporalCli(options: ResolveTemporalCliOptions): Promise<string | undefined> {
  const log = options.log ?? (() => undefined);

  if (options.cliPath !== undefined) {
    const explicit = path.resolve(options.cliPath);
    if (await runsVersion(explicit)) return explicit;
    log(`TEMPORAL_CLI_PATH=${options.cliPath} does not run; looking elsewhere`);
  }

  const onPath = await findOnPath('temporal');
  if (onPath !== undefined && (await runsVersion(onPath))) return onPath;

  const cached = temporalCliCachePath();
  if (await runsVersion(cached)) return cached;

  if (!(await runsVersion('go', ['version']))) {
    log('no Temporal CLI found and Go is not installed, so it cannot be built');
    return undefined;
  }
  try {
    await buildTemporalCli(cached, log);
  } catch (error) {
    log(`building the Temporal CLI failed: ${errorMessage(error)}`);
    return undefined;
  }
  return (await runsVersion(cached)) ? cached : undefined;
}

/** temporalCliCachePath is where the built CLI is kept, outside any checkout so clones share it. */
function temporalCliCachePath(): string {
  const xdgCache = process.env.XDG_CACHE_HOME;
  const cacheRoot = xdgCache && path.isAbsolute(xdgCache) ? xdgCache : path.join(os.homedir(), '.cache');
  return path.join(cacheRoot, 'rollgate', `temporal-${TEMPORAL_CLI_VERSION}`);
}

async function buildTemporalCli(destination: string, log: (line: string) => void): Promise<void> {
  const cacheDir = path.dirname(destination);
  await fs.mkdir(cacheDir, { recursive: true });
  // A private GOBIN per build: concurrent builds never see each other's half-written binary,
  // and the final rename within one directory tree is atomic.
  const gobin = path.join(cacheDir, `.build-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(gobin);
  const started = Date.now();
  log(`building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install (this takes a few minutes)…`);
  const ticker = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    log(`still building the Temporal CLI (${seconds} s)…`);
  }, BUILD_PROGRESS_INTERVAL_MS);
  try {
    await runGoInstall(gobin, log);
    await fs.rename(path.join(gobin, 'temporal'), destination);
    log(`built the Temporal CLI in ${Math.round((Date.now() - started) / 1000)} s: ${destination}`);
  } finally {
    clearInterval(ticker);
    await fs.rm(gobin, { recursive: true, force: true });
  }
}

function runGoInstall(gobin: string, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
      env: { ...process.env, GOBIN: gobin },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => log(`go: ${line.replace(/^go: /, '')}`));
    }
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`go install exited with ${signal ?? `code ${code}`}`));
    });
  });
}

async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      await fs.access(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function runsVersion(binary: string, args: string[] = ['--version']): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: VERSION_CHECK_TIMEOUT_MS }, (error) => resolve(error === null));
  });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function main(): Promise<void> {
  const env = loadEnv();
  const cli = await resolveTemporalCli({
    cliPath: env.TEMPORAL_CLI_PATH,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  if (cli === undefined) {
    process.stderr.write(
      'No Temporal CLI available: set TEMPORAL_CLI_PATH to a binary, put `temporal` on PATH, ' +
        `or install Go so that ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} can be built.\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`${cli}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${errorMessage(error)}\n`);
    process.exit(1);
  });
}
