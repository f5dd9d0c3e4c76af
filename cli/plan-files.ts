import { readFileSync } from 'node:fs';
import { webhookAllowFromEnv } from '../config/env';
import { formatIssue, loadPlan, type LoadResult, type PlanIssue } from '../definitions/load';
import type { Plan } from '../definitions/schema';
import { ExitCode, type CommandIo } from './command-io';
import { plural } from './plan-words';

/** CheckedFile is one plan file as the CLI saw it: loaded, or not readable at all. */
export type CheckedFile = { file: string; result: LoadResult } | { file: string; unreadable: string };

/**
 * checkPlanFile reads a plan as bytes, so that the loader catches text that is not UTF-8, and
 * loads it; issues carry `file` as given. Notification targets are judged by the policy of
 * ROLLGATE_WEBHOOK_ALLOW as this process sees it (default none), as a worker with it would;
 * with providers, pulled metrics' provider names are checked against them.
 */
export function checkPlanFile(file: string, options: { providers?: readonly string[] } = {}): CheckedFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    return { file, unreadable: `${file}: cannot read: ${readErrorText(error)}` };
  }
  return { file, result: loadPlan(bytes, { file, webhookAllow: webhookAllowFromEnv(), ...(options.providers ? { providers: options.providers } : {}) }) };
}

/** issueLines renders a file's errors and warnings as compiler lines, in position order. */
export function issueLines(result: LoadResult, options: { warnings: boolean }): string[] {
  const errors = result.ok ? [] : result.errors;
  const warnings = options.warnings ? result.warnings : [];
  const rank = (issue: PlanIssue) => (issue.severity === 'error' ? 0 : 1);
  return [...errors, ...warnings].sort((a, b) => a.line - b.line || a.column - b.column || rank(a) - rank(b)).map((issue) => formatIssue(issue));
}

export type Tally = { files: number; errors: number; warnings: number; unreadable: number };

/** tally counts the issues of checked files. */
export function tally(checked: readonly CheckedFile[]): Tally {
  const counts: Tally = { files: checked.length, errors: 0, warnings: 0, unreadable: 0 };
  for (const entry of checked) {
    if ('unreadable' in entry) {
      counts.unreadable += 1;
    } else {
      counts.errors += entry.result.ok ? 0 : entry.result.errors.length;
      counts.warnings += entry.result.warnings.length;
    }
  }
  return counts;
}

/** summaryLine is the last line of validate and lint: `2 files: 1 error, 3 warnings`. */
export function summaryLine(counts: Tally, options: { warnings: boolean }): string {
  const parts = [plural(counts.errors, 'error')];
  if (options.warnings) parts.push(plural(counts.warnings, 'warning'));
  if (counts.unreadable > 0) parts.push(`${counts.unreadable} unreadable`);
  return `${plural(counts.files, 'file')}: ${parts.join(', ')}`;
}

/**
 * loadOnePlan is for the commands that work on one valid plan (graph, explain): it returns the
 * plan, or prints why there is none and returns the exit status (2 unreadable, 1 invalid).
 */
export function loadOnePlan(file: string, io: CommandIo): Plan | ExitCode {
  const checked = checkPlanFile(file);
  if ('unreadable' in checked) {
    io.err(checked.unreadable);
    return ExitCode.usage;
  }
  if (checked.result.ok) return checked.result.plan;
  for (const line of issueLines(checked.result, { warnings: false })) io.err(line);
  io.err(`${file}: ${plural(checked.result.errors.length, 'error')}; fix the plan first (rollgate validate ${file})`);
  return ExitCode.failed;
}

/** readErrorText says in plain words why a file could not be read. */
export function readErrorText(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return message;
  }
}
