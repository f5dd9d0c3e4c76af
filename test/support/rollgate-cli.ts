import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The repository root: `node cli/bin.js` runs from there as `npx rollgate` does. */
export const REPO = join(__dirname, '../..');

export type Run = { code: number | null; stdout: string; stderr: string };

/** rollgate runs the command end to end in a child process and collects its output. */
export function rollgate(...args: string[]): Promise<Run> {
  return rollgateWith({}, ...args);
}

/** rollgateWith runs the command with env added to the test's environment, e.g. ROLLGATE_URL. */
export function rollgateWith(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return runInRepo(process.execPath, ['cli/bin.js', ...args], env);
}

/** tokenOf is the bearer token of headers as the harness hands them out. */
export const tokenOf = (headers: Record<string, string>): string => headers.authorization!.replace(/^Bearer /, '');

/**
 * rollgateAs runs the command against url as the principal whose bearer headers are given,
 * through ROLLGATE_URL and ROLLGATE_TOKEN, with configHome holding no stored profile.
 */
export function rollgateAs(target: { url: string; configHome: string }, headers: Record<string, string>, ...args: string[]): Promise<Run> {
  return rollgateWith({ XDG_CONFIG_HOME: target.configHome, ROLLGATE_URL: target.url, ROLLGATE_TOKEN: tokenOf(headers) }, ...args);
}

/** runInRepo runs command from the repository root, without colour, and collects its output. */
export function runInRepo(command: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO, env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
