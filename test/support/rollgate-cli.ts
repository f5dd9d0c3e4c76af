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
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['cli/bin.js', ...args], { cwd: REPO, env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
