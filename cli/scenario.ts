import { isMap, isScalar, isSeq } from 'yaml';
import { z } from 'zod';
import { MAX_DURATION_MS, parseDuration } from '../definitions/duration';
import { decodeSource, invalidYamlText, parseYaml, yamlData, type PlanIssue } from '../definitions/load';
import { formatPath, type PlanPath } from '../definitions/paths';
import { Duration } from '../definitions/schema';
import { describeIssue, describeValue, plainErrorMap } from '../definitions/zod-issues';
import type { Scenario, ScenarioSample } from '../simulator/samples';
import { parseInstant } from './instant';

/**
 * Scenario files for `rollgate simulate`: the metric samples a simulated rollout sees.
 *
 * YAML: `{ description?, samples: [{ metric, value, at }], generators: [{ metric, from, to,
 * every, value }] }`. A time (`at`, `from`, `to`) is an ISO 8601 time with its zone
 * (`2026-03-01T06:00Z`), a date (`2026-03-01`, midnight UTC), or an offset from the rollout's
 * start: `+3d`, `+6w2d`, `-4w` (before the start, for baselines). A generator makes one
 * sample every `every` from `from` up to, not including, `to`; its value is a number, or
 * `{ start, end }` for a straight line from start (at `from`) towards end (at `to`).
 *
 * CSV: a header naming the columns `at`, `metric` and `value` (in any order; other columns are
 * ignored), then one sample a line. Fields may be double-quoted.
 *
 * Problems come back as issues with line and column, like a plan's.
 */

/** MAX_SCENARIO_SAMPLES bounds what a scenario, generators included, may hold. */
export const MAX_SCENARIO_SAMPLES = 5_000_000;

export type ScenarioFormat = 'yaml' | 'csv';

export interface ScenarioLoadOptions {
  /** start is the rollout's start, epoch milliseconds: offsets count from it. */
  start: number;
  /** file names the source in the issues; it is not read. */
  file?: string;
  /** format: default yaml. */
  format?: ScenarioFormat;
}

/** Position is where something is in the scenario file, 1-based. */
export interface Position {
  line: number;
  column: number;
}

/**
 * ScenarioLoad: the samples sorted by time (samples at the same time keep file order), and
 * where each metric first appears, for warnings about metrics nobody judges.
 */
export type ScenarioLoad = { ok: true; scenario: Scenario; metrics: Map<string, Position> } | { ok: false; errors: PlanIssue[] };

/** scenarioFormat picks the format from the file name: `.csv` is CSV, anything else YAML. */
export function scenarioFormat(file: string): ScenarioFormat {
  return file.toLowerCase().endsWith('.csv') ? 'csv' : 'yaml';
}

/** loadScenario reads a scenario from text or UTF-8 bytes; see the format above. */
export function loadScenario(source: string | Uint8Array, options: ScenarioLoadOptions): ScenarioLoad {
  const decoded = decodeSource(source, 'scenario');
  const loaded: ScenarioLoad =
    'issue' in decoded
      ? { ok: false, errors: [decoded.issue] }
      : options.format === 'csv'
        ? readCsv(decoded.text, options.start)
        : readYaml(decoded.text, options.start);
  if (!loaded.ok) {
    const errors = [...loaded.errors].sort((a, b) => a.line - b.line || a.column - b.column);
    return { ok: false, errors: options.file === undefined ? errors : errors.map((issue) => ({ ...issue, file: options.file })) };
  }
  return loaded;
}

/**
 * parseTime reads a scenario time: an instant (parseInstant) or an offset from `start` such as
 * +3d or -4w, at most MAX_DURATION_MS (10 years) like a plan's durations, so that it is a date.
 */
export function parseTime(text: string, start: number): number | undefined {
  const trimmed = text.trim();
  const offset = /^([+-])(.+)$/.exec(trimmed);
  if (offset) {
    const ms = parseDuration(offset[2]!);
    if (ms === undefined || ms > MAX_DURATION_MS) return undefined;
    return offset[1] === '-' ? start - ms : start + ms;
  }
  return parseInstant(trimmed);
}

const TIME_HINT = 'is not a time: write an ISO 8601 time with its zone such as 2026-03-01T06:00Z, a date such as 2026-03-01, or an offset from the start such as +3d or -4w';

// The schema checks the shape; times resolve against the start afterwards (see expand).
const Time = z.string().refine((text) => parseTime(text, 0) !== undefined, { message: TIME_HINT });
const Metric = z.string().min(1);
const Value = z.number();

const ScenarioSampleEntry = z.strictObject({ metric: Metric, value: Value, at: Time });
const Line = z.strictObject({ start: Value, end: Value });
const Generator = z.strictObject({
  metric: Metric,
  from: Time,
  to: Time,
  every: Duration.refine((text) => (parseDuration(text) ?? 0) > 0, { message: 'must be longer than 0' }),
  value: z.union([Value, Line]),
});
const ScenarioFile = z.strictObject({
  description: z.string().optional(),
  samples: z.array(ScenarioSampleEntry).default([]),
  generators: z.array(Generator).default([]),
});
type ScenarioFile = z.infer<typeof ScenarioFile>;

function readYaml(text: string, start: number): ScenarioLoad {
  const parsedYaml = parseYaml(text);
  if ('issue' in parsedYaml) return { ok: false, errors: [parsedYaml.issue] };
  const { doc, lineCounter } = parsedYaml;
  const positionOf = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((error) => issueAt(positionOf(error.pos[0]), [], invalidYamlText(error))) };
  }
  if (!isMap(doc.contents)) {
    const contents = doc.contents;
    const found = isSeq(contents) ? 'a list' : isScalar(contents) ? describeValue(contents.value) : 'nothing';
    return { ok: false, errors: [issueAt(positionOf(0), [], `a scenario is a YAML mapping with samples and/or generators; found ${found}`)] };
  }
  const read = yamlData(doc, lineCounter);
  if ('issue' in read) return { ok: false, errors: [read.issue] };
  const { data, locator } = read;
  const at = (path: PlanPath, key = false): Position => positionOf(key ? locator.keyOffsetOf(path) : locator.offsetOf(path));
  const parsed = ScenarioFile.safeParse(data, { error: plainErrorMap });
  if (!parsed.success) {
    const errors = parsed.error.issues.flatMap((issue) =>
      describeIssue(ScenarioFile, data, issue).map((described) => issueAt(at(described.at, described.atKey), described.path, described.message)),
    );
    return { ok: false, errors };
  }
  return expand(parsed.data, start, at);
}

/** expand resolves the times against the start and runs the generators. */
function expand(file: ScenarioFile, start: number, at: (path: PlanPath, key?: boolean) => Position): ScenarioLoad {
  const errors: PlanIssue[] = [];
  const samples: ScenarioSample[] = [];
  const metrics = new Map<string, Position>();
  const note = (metric: string, path: PlanPath) => {
    if (!metrics.has(metric)) metrics.set(metric, at([...path, 'metric']));
  };
  file.samples.forEach((entry, i) => {
    samples.push({ metric: entry.metric, value: entry.value, at: parseTime(entry.at, start)! });
    note(entry.metric, ['samples', i]);
  });
  if (samples.length > MAX_SCENARIO_SAMPLES) {
    const message = `samples: the scenario lists ${samples.length} samples, more than a scenario may hold (${MAX_SCENARIO_SAMPLES})`;
    return { ok: false, errors: [issueAt(at(['samples'], true), ['samples'], message)] };
  }
  let total = samples.length;
  file.generators.forEach((generator, i) => {
    const path = ['generators', i];
    const from = parseTime(generator.from, start)!;
    const to = parseTime(generator.to, start)!;
    const every = parseDuration(generator.every)!;
    if (to <= from) {
      errors.push(issueAt(at([...path, 'to']), [...path, 'to'], `${formatPath([...path, 'to'])}: ${generator.to} is not after from (${generator.from})`));
      return;
    }
    const count = Math.ceil((to - from) / every);
    total += count;
    if (total > MAX_SCENARIO_SAMPLES) {
      const message = `${formatPath([...path, 'every'])}: the generator makes ${count} samples, more than a scenario may hold in all (${MAX_SCENARIO_SAMPLES}); use a longer every`;
      errors.push(issueAt(at([...path, 'every']), [...path, 'every'], message));
      return;
    }
    const value = generator.value;
    for (let k = 0; k < count; k++) {
      const t = from + k * every;
      const v = typeof value === 'number' ? value : value.start + ((value.end - value.start) * (t - from)) / (to - from);
      samples.push({ metric: generator.metric, value: v, at: t });
    }
    note(generator.metric, path);
  });
  if (errors.length > 0) return { ok: false, errors };
  // Array.prototype.sort is stable: samples at the same time keep their order.
  samples.sort((a, b) => a.at - b.at);
  return { ok: true, scenario: { samples }, metrics };
}

const CSV_COLUMNS = ['at', 'metric', 'value'] as const;

function readCsv(text: string, start: number): ScenarioLoad {
  const lines = text.split(/\r?\n/);
  const errors: PlanIssue[] = [];
  const samples: ScenarioSample[] = [];
  const metrics = new Map<string, Position>();
  const headerAt = lines.findIndex((line) => line.trim() !== '');
  if (headerAt < 0) return { ok: false, errors: [issueAt({ line: 1, column: 1 }, [], 'the CSV is empty: write a header line at,metric,value, then one sample a line')] };
  const header = splitCsv(lines[headerAt]!);
  if ('problem' in header) return { ok: false, errors: [issueAt({ line: headerAt + 1, column: header.column }, [], header.problem)] };
  const names = header.fields.map((field) => field.text.trim().toLowerCase());
  const columnOf = {} as Record<(typeof CSV_COLUMNS)[number], number>;
  for (const name of CSV_COLUMNS) {
    const index = names.indexOf(name);
    if (index < 0) return { ok: false, errors: [issueAt({ line: headerAt + 1, column: 1 }, [], `the header has no "${name}" column; it needs at, metric and value`)] };
    columnOf[name] = index;
  }
  for (let i = headerAt + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const row = splitCsv(line);
    const lineNo = i + 1;
    if ('problem' in row) {
      errors.push(issueAt({ line: lineNo, column: row.column }, [], row.problem));
      continue;
    }
    if (row.fields.length !== names.length) {
      errors.push(issueAt({ line: lineNo, column: 1 }, [], `the line has ${row.fields.length} fields, the header ${names.length}`));
      continue;
    }
    const field = (name: (typeof CSV_COLUMNS)[number]) => row.fields[columnOf[name]]!;
    const at = field('at');
    const metric = field('metric');
    const value = field('value');
    const time = parseTime(at.text, start);
    const number = value.text.trim() === '' ? NaN : Number(value.text);
    if (time === undefined) errors.push(issueAt({ line: lineNo, column: at.column }, [], `at: ${JSON.stringify(at.text.trim())} ${TIME_HINT}`));
    if (metric.text.trim() === '') errors.push(issueAt({ line: lineNo, column: metric.column }, [], 'metric: must not be empty'));
    if (!Number.isFinite(number)) errors.push(issueAt({ line: lineNo, column: value.column }, [], `value: ${JSON.stringify(value.text.trim())} is not a number`));
    if (time === undefined || metric.text.trim() === '' || !Number.isFinite(number)) continue;
    const name = metric.text.trim();
    if (!metrics.has(name)) metrics.set(name, { line: lineNo, column: metric.column });
    samples.push({ metric: name, value: number, at: time });
  }
  if (samples.length > MAX_SCENARIO_SAMPLES) {
    errors.push(issueAt({ line: 1, column: 1 }, [], `the CSV holds ${samples.length} samples, more than a scenario may hold (${MAX_SCENARIO_SAMPLES})`));
  }
  if (errors.length > 0) return { ok: false, errors };
  samples.sort((a, b) => a.at - b.at);
  return { ok: true, scenario: { samples }, metrics };
}

type CsvField = { text: string; column: number };

/** splitCsv splits one line into fields, each with its 1-based column; a field may be "quoted", with "" for a quote. */
function splitCsv(line: string): { fields: CsvField[] } | { problem: string; column: number } {
  const fields: CsvField[] = [];
  let i = 0;
  for (;;) {
    const column = i + 1;
    if (line[i] === '"') {
      let text = '';
      let j = i + 1;
      for (;;) {
        if (j >= line.length) return { problem: 'the quoted field is not closed', column };
        if (line[j] === '"') {
          if (line[j + 1] === '"') {
            text += '"';
            j += 2;
            continue;
          }
          break;
        }
        text += line[j];
        j += 1;
      }
      j += 1;
      if (j < line.length && line[j] !== ',') return { problem: 'a quoted field must end at a comma', column: j + 1 };
      fields.push({ text, column });
      if (j >= line.length) return { fields };
      i = j + 1;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      fields.push({ text: line.slice(i, end), column });
      if (comma < 0) return { fields };
      i = comma + 1;
    }
  }
}

function issueAt(position: Position, path: PlanPath, message: string): PlanIssue {
  return { line: position.line, column: position.column, path: formatPath(path), message, severity: 'error' };
}
