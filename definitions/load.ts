import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseDocument, visit, type Alias, type Document, type Node, type YAMLError } from 'yaml';
import { checkGraph, type GraphStage } from './graph';
import type { WebhookAllowList } from '../config/webhook-allow';
import { lintPlan, type LintRuleId } from './lint';
import type { PlanProblem } from './problem';
import { Plan } from './schema';
import { checkSemantics } from './semantics';
import { closestMatch, didYouMean } from './suggest';
import { findInvalidUtf8, utf8Length, utf8Position } from './utf8';
import type { Locator } from './locator';
import { documentLocator, formatPath, locate, pathAtOffset, startOf, valueAt, type PlanPath } from './paths';
import { readSimpleYaml } from './simple-yaml';
import { describeIssue, describeValue, plainErrorMap, requiredKeys } from './zod-issues';
import { storableProblem } from './storable-text';

/** MAX_PLAN_BYTES is the largest plan accepted, in UTF-8 bytes: 1 MiB, far more than any real plan needs. */
export const MAX_PLAN_BYTES = 1024 * 1024;

/**
 * MAX_ALIAS_COUNT bounds YAML alias expansion (the yaml package's `maxAliasCount`, applied when
 * the document is turned into data), so that a few lines of nested aliases cannot make the
 * loader build billions of nodes. Reusing an anchored value (`approvals: *standard`) stays
 * allowed, up to this many times.
 */
export const MAX_ALIAS_COUNT = 100;

/** PlanIssue is one problem found in a plan file; line and column are 1-based. */
export type PlanIssue = {
  line: number;
  column: number;
  /** path is where in the plan the problem is, e.g. `stages[2].minDuration`; '' for the whole file. */
  path: string;
  message: string;
  severity: 'error' | 'warning';
  /** file is the file name given to loadPlan, if any. */
  file?: string;
  /** rule is the lint rule behind a warning, the id a stage's `lint.ignore` names to switch it off. */
  rule?: LintRuleId;
};

/**
 * LoadResult: `errors` holds only errors, `warnings` only warnings (YAML warnings and lint
 * findings), both sorted by position. A rejected plan carries its warnings too, so that a
 * tool can show everything at once; lint needs a plan that passed the schema, though.
 */
export type LoadResult = { ok: true; plan: Plan; warnings: PlanIssue[] } | { ok: false; errors: PlanIssue[]; warnings: PlanIssue[] };

export type LoadOptions = {
  /** file names the source in the issues (for formatIssue); it is not read. */
  file?: string;
  /**
   * webhookAllow is ROLLGATE_WEBHOOK_ALLOW, for the webhook-target-refused warning. The API
   * passes the one it reads, the same variable the worker reads; default none.
   */
  webhookAllow?: WebhookAllowList;
  /**
   * providers are the metric providers' names (ROLLGATE_PROVIDERS_FILE): a pulled metric naming
   * another is an error. Unset: provider names are not checked (`rollgate validate` without --providers).
   */
  providers?: readonly string[];
};

/**
 * loadPlan reads a plan from YAML text or UTF-8 bytes and validates it completely: YAML syntax,
 * the Plan schema, the stage graph, the cross-field rules (definitions/semantics.ts) and the
 * lint rules (definitions/lint.ts). It reports every problem it can find at once, sorted by
 * position; only YAML syntax errors (other than duplicate keys) stop it early, because what
 * follows them would be guesswork. The cross-field and lint rules need a plan that passed the
 * schema, so they report only once it does; the graph checks always run.
 */
export function loadPlan(source: string | Uint8Array, options: LoadOptions = {}): LoadResult {
  const { plan, issues } = readPlan(source, options);
  const located = options.file === undefined ? issues : issues.map((issue) => ({ ...issue, file: options.file }));
  const sorted = sortIssues(located);
  const errors = sorted.filter((issue) => issue.severity === 'error');
  const warnings = sorted.filter((issue) => issue.severity === 'warning');
  if (plan === undefined || errors.length > 0) return { ok: false, errors, warnings };
  return { ok: true, plan, warnings };
}

/** formatIssue renders an issue as compilers do: `plans/line.yaml:12:5: error: message`. */
export function formatIssue(issue: PlanIssue, file: string = issue.file ?? '<plan>'): string {
  return `${file}:${issue.line}:${issue.column}: ${issue.severity}: ${issue.message}`;
}

type Read = { plan?: Plan; issues: PlanIssue[] };

function readPlan(source: string | Uint8Array, options: LoadOptions): Read {
  const size = typeof source === 'string' ? utf8Length(source) : source.byteLength;
  if (size > MAX_PLAN_BYTES) {
    return { issues: [fileIssue(`the plan is too large: ${size} bytes, the limit is ${MAX_PLAN_BYTES} bytes (1 MiB)`)] };
  }
  const decoded = decodeSource(source, 'plan');
  if ('issue' in decoded) return { issues: [decoded.issue] };
  // Most plans are plain enough for the fast reader; the rest, and every broken one, go to the yaml package.
  const fast = readSimpleYaml(decoded.text);
  if (fast) return validate(fast.data, fast.locator, [], options);
  const read = readYaml(decoded.text);
  return 'data' in read ? validate(read.data, read.locator, read.issues, options) : { issues: read.issues };
}

type YamlRead = { data: unknown; locator: Locator; issues: PlanIssue[] } | { issues: PlanIssue[] };

/** readYaml reads the text with the yaml package; it returns no data when the YAML is unusable. */
function readYaml(text: string): YamlRead {
  const parsed = parseYaml(text);
  if ('issue' in parsed) return { issues: [parsed.issue] };
  const { doc, lineCounter } = parsed;
  const issueAt = (offset: number, path: PlanPath, message: string, severity: PlanIssue['severity'] = 'error'): PlanIssue => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col, path: formatPath(path), message, severity };
  };

  const issues: PlanIssue[] = [];
  for (const error of doc.errors) issues.push(yamlIssue(doc, error, 'error', issueAt));
  for (const warning of doc.warnings) issues.push(yamlIssue(doc, warning, 'warning', issueAt));
  if (doc.errors.some((error) => error.code !== 'DUPLICATE_KEY')) return { issues };

  const contents = doc.contents;
  if (!isMap(contents)) {
    const keys = requiredKeys(Plan).join(', ');
    const message = contents
      ? `the plan must be a YAML mapping (key: value lines) with the keys ${keys}; found ${isSeq(contents) ? 'a list' : isScalar(contents) ? describeValue(contents.value) : 'an alias'}`
      : `the plan is empty: write a YAML mapping (key: value lines) with the keys ${keys}`;
    issues.push(issueAt(startOf(contents ?? undefined), [], message));
    return { issues };
  }

  const data = yamlData(doc, lineCounter);
  if ('issue' in data) return { issues: [...issues, data.issue] };
  return { ...data, issues };
}

/**
 * decodeSource gives the text of a file read as text or as UTF-8 bytes, without a byte order
 * mark; or, for bytes that are not UTF-8, the issue at the first bad one. `what` names the
 * file's content in that issue: `save the plan as UTF-8`.
 */
export function decodeSource(source: string | Uint8Array, what: string): { text: string } | { issue: PlanIssue } {
  let text: string;
  if (typeof source === 'string') {
    text = source;
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(source);
    } catch {
      const offset = Math.max(0, findInvalidUtf8(source));
      const { line, column } = utf8Position(source, offset);
      const byte = (source[offset] ?? 0).toString(16).toUpperCase().padStart(2, '0');
      const message = `the file is not valid UTF-8: bad byte 0x${byte}; save the ${what} as UTF-8`;
      return { issue: { line, column, path: '', message, severity: 'error' } };
    }
  }
  // A byte order mark is no content; dropping it keeps columns on the first line right.
  return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
}

/**
 * parseYaml parses one YAML document with the yaml package, keeping line positions. Its syntax
 * errors and warnings stay in the document for the caller to report; only a parser that gives
 * up altogether yields an issue.
 */
export function parseYaml(text: string): { doc: Document.Parsed; lineCounter: LineCounter } | { issue: PlanIssue } {
  const lineCounter = new LineCounter();
  try {
    return { doc: parseDocument(text, { lineCounter, prettyErrors: false, logLevel: 'error' }), lineCounter };
  } catch (error) {
    return { issue: fileIssue(`the YAML cannot be read: ${errorText(error)}`) };
  }
}

/**
 * yamlData turns a parsed document (whose errors the caller has dealt with) into data, with a
 * locator for positions in it. It refuses an alias to no anchor defined before it, and more
 * alias expansion than MAX_ALIAS_COUNT (a possible alias bomb), pointing at the alias.
 */
export function yamlData(doc: Document.Parsed, lineCounter: LineCounter): { data: unknown; locator: Locator } | { issue: PlanIssue } {
  const issueAtNode = (node: Node | undefined, message: string): PlanIssue => {
    const offset = startOf(node);
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col, path: formatPath(node ? pathAtOffset(doc, offset) : []), message, severity: 'error' };
  };
  const dangling = danglingAlias(doc);
  if (dangling) return { issue: issueAtNode(dangling, `alias *${dangling.source} refers to no anchor &${dangling.source} defined before it`) };
  try {
    return { data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), locator: documentLocator(doc, lineCounter) };
  } catch (error) {
    // The yaml package signals too much alias expansion with a ReferenceError.
    const alias = error instanceof ReferenceError ? firstAlias(doc) : undefined;
    const message = alias
      ? `YAML aliases expand too far (limit ${MAX_ALIAS_COUNT}): refusing a possible alias bomb; write the repeated parts out instead`
      : error instanceof RangeError
        ? 'the YAML nests too deeply to be read'
        : `the YAML cannot be read: ${errorText(error)}`;
    return { issue: issueAtNode(alias, message) };
  }
}

/** invalidYamlText words a YAML syntax error: `invalid YAML: …`, in lower case as our messages are. */
export function invalidYamlText(error: YAMLError): string {
  return `invalid YAML: ${lowerFirst(error.message)}`;
}

/** validate checks the data read from the YAML: schema, stage graph, cross-field rules and lint. */
function validate(data: unknown, locator: Locator, issues: PlanIssue[], options: LoadOptions): Read {
  const issueAt = (offset: number, path: PlanPath, message: string, severity: PlanIssue['severity']): PlanIssue => {
    const { line, column } = locator.position(offset);
    return { line, column, path: formatPath(path), message, severity };
  };
  const parsed = Plan.safeParse(data, { error: plainErrorMap });
  for (const issue of parsed.error?.issues ?? []) {
    for (const described of describeIssue(Plan, data, issue)) {
      const offset = described.atKey ? locator.keyOffsetOf(described.at) : locator.offsetOf(described.at);
      issues.push(issueAt(offset, described.path, described.message, 'error'));
    }
  }
  const problemIssue = (problem: PlanProblem, severity: PlanIssue['severity']): PlanIssue => {
    const at = problem.at ?? problem.path;
    return issueAt(problem.atKey ? locator.keyOffsetOf(at) : locator.offsetOf(at), problem.path, problem.message, severity);
  };
  for (const problem of graphProblems(data)) issues.push(problemIssue(problem, 'error'));
  const unstorable = unstorablePath(data);
  const nul = unstorable?.path;
  if (unstorable) issues.push(issueAt(locator.offsetOf(unstorable.path), unstorable.path, `${formatPath(unstorable.path)}: ${unstorable.problem}`, 'error'));
  if (!parsed.success || nul) return { issues };
  for (const problem of checkSemantics(parsed.data, { providers: options.providers })) issues.push(problemIssue(problem, 'error'));
  for (const warning of lintPlan(parsed.data, { webhookAllow: options.webhookAllow })) issues.push({ ...problemIssue(warning, 'warning'), rule: warning.rule });
  return { plan: parsed.data, issues };
}

type IssueAt = (offset: number, path: PlanPath, message: string, severity?: PlanIssue['severity']) => PlanIssue;

function yamlIssue(doc: Document, error: YAMLError, severity: PlanIssue['severity'], issueAt: IssueAt): PlanIssue {
  const offset = error.pos[0];
  switch (error.code) {
    case 'MULTIPLE_DOCS':
      return issueAt(offset, [], 'a plan file holds one YAML document, but another one starts here: remove the "---" line and what follows, or make it a separate plan', severity);
    case 'RESOURCE_EXHAUSTION': {
      // The parser stops wherever the stack ran out; point at the top-level value holding it instead.
      const top = pathAtOffset(doc, offset).slice(0, 1);
      return issueAt(startOf(locate(doc, top)), top, 'the YAML nests too deeply to be read', severity);
    }
    case 'DUPLICATE_KEY': {
      const path = pathAtOffset(doc, offset);
      const parent = path.slice(0, -1);
      const key = path[path.length - 1];
      const where = parent.length > 0 ? `${formatPath(parent)}: ` : '';
      return issueAt(offset, path, `${where}duplicate key${key === undefined ? '' : ` "${String(key)}"`}`, severity);
    }
    default:
      // After a syntax error the document structure is a guess, so no path is claimed.
      if (severity === 'error') return issueAt(offset, [], invalidYamlText(error), severity);
      return issueAt(offset, pathAtOffset(doc, offset), lowerFirst(error.message), severity);
  }
}

/** graphStages gives the graph checks whatever stage ids and dependencies the data holds, valid or not. */
function graphStages(data: unknown): GraphStage[] {
  const stages = isRecord(data) && Array.isArray(data.stages) ? (data.stages as unknown[]) : [];
  return stages.map((stage, i) => {
    // A stage without a usable id cannot be depended on; a unique stand-in keeps the indices right.
    const id = isRecord(stage) && typeof stage.id === 'string' ? stage.id : `stages[${i}]`;
    const dependsOn = isRecord(stage) && Array.isArray(stage.dependsOn) ? (stage.dependsOn as unknown[]) : [];
    return { id, dependsOn: dependsOn.map((dep) => (typeof dep === 'string' ? dep : '')) };
  });
}

/** At most this many unknown dependencies get a "did you mean", to keep huge broken plans cheap. */
const MAX_SUGGESTIONS = 20;

function graphProblems(data: unknown): PlanProblem[] {
  const stages = graphStages(data);
  const ids = stages.map((stage) => stage.id);
  let suggestions = 0;
  return (
    checkGraph(stages)
      // Entries that are not text at all already have a schema error.
      .filter((problem) => typeof valueAt(data, problem.path) === 'string')
      .map((problem) => {
        const dep = valueAt(data, problem.path);
        const suggestion =
          problem.kind === 'unknown-dependency' && typeof dep === 'string' && suggestions++ < MAX_SUGGESTIONS ? closestMatch(dep, ids) : undefined;
        return { path: problem.path, message: `${formatPath(problem.path)}: ${problem.message}${didYouMean(suggestion)}` };
      })
  );
}

function danglingAlias(doc: Document): Alias | undefined {
  const anchors = new Set<string>();
  let dangling: Alias | undefined;
  visit(doc, (_key, node) => {
    if (isAlias(node)) {
      if (!anchors.has(node.source)) {
        dangling = node;
        return visit.BREAK;
      }
    } else if (isNode(node) && node.anchor) {
      anchors.add(node.anchor);
    }
    return undefined;
  });
  return dangling;
}

function firstAlias(doc: Document): Alias | undefined {
  let found: Alias | undefined;
  visit(doc, {
    Alias(_key, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

function sortIssues(issues: PlanIssue[]): PlanIssue[] {
  const seen = new Set<string>();
  return [...issues]
    .sort((a, b) => a.line - b.line || a.column - b.column)
    .filter((issue) => {
      const key = `${issue.line}:${issue.column}:${issue.severity}:${issue.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

function fileIssue(message: string): PlanIssue {
  return { line: 1, column: 1, path: '', message, severity: 'error' };
}

/** unstorablePath is the path of the first key or string PostgreSQL cannot store (U+0000, a lone surrogate), and why. */
function unstorablePath(value: unknown, path: PlanPath = []): { path: PlanPath; problem: string } | undefined {
  if (typeof value === 'string') {
    const problem = storableProblem(value);
    return problem ? { path, problem } : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const at = [...path, Array.isArray(value) ? Number(key) : key];
    const keyProblem = storableProblem(key);
    if (keyProblem) return { path: at, problem: keyProblem };
    const found = unstorablePath(item, at);
    if (found) return found;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function errorText(error: unknown): string {
  return error instanceof Error ? lowerFirst(error.message) : String(error);
}
