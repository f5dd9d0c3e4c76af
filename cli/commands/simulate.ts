import { readFileSync } from 'node:fs';
import { MAX_DURATION_MS, MAX_DURATION_TEXT, formatDuration, parseDuration } from '../../definitions/duration';
import { formatIssue } from '../../definitions/load';
import type { Plan } from '../../definitions/schema';
import { closestMatch, didYouMean } from '../../definitions/suggest';
import { DEFAULT_HORIZON_MS, DEFAULT_SIGN_OFF_AFTER_MS, simulate, type SimulationResult } from '../../simulator/simulate';
import { parseCommandArgs, usageError } from '../args';
import { ExitCode, type CommandIo } from '../command-io';
import { startOption } from '../instant';
import { loadOnePlan, readErrorText } from '../plan-files';
import { plural } from '../plan-words';
import { loadScenario, scenarioFormat, type Position } from '../scenario';

export const SIMULATE_USAGE = `usage: rollgate simulate <plan.yaml> --metrics <scenario.yaml|csv> [options]

Runs the plan over a metric scenario on a virtual clock, with the rollout's own rules: stages
start when their dependencies pass, criteria are evaluated every evaluationInterval, a stage
awaits sign-off once they pass and its minDuration is over, inconclusive criteria at
maxDuration hold it, failing ones apply onFailure, and escalation steps fire while sign-off
is late. Prints when each stage would start, await sign-off, pass, fail or be held, and why,
then each stage's outcome and the earliest finish. The scenario format is described in
docs/simulate.md.

options:
  -m, --metrics <file>          the scenario: YAML samples and generators, or CSV at,metric,value
  -s, --start <date>            when the rollout starts: YYYY-MM-DD (midnight UTC) or an ISO 8601
                                time with its zone (default: today); scenario offsets such as
                                +3d count from it
      --sign-off-after <dur>    every sign-off arrives this long after it is asked for (default 1d)
      --until <dur>             the horizon, from the start (default 730d)
      --json                    print the result as JSON instead of the timeline

exit status: 0 simulated (whatever the rollout's outcome), 1 the plan or the scenario has
errors, 2 usage error or a file could not be read`;

/** simulateCommand runs `rollgate simulate`; `today` gives the default start. */
export function simulateCommand(args: string[], io: CommandIo, today: Date = new Date()): ExitCode {
  const parsed = parseCommandArgs(
    'simulate',
    args,
    {
      metrics: { type: 'string', short: 'm' },
      start: { type: 'string', short: 's' },
      'sign-off-after': { type: 'string' },
      until: { type: 'string' },
      json: { type: 'boolean' },
    },
    SIMULATE_USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const values = parsed.values;
  const start = startOption(values.start, today);
  if (start === undefined) {
    return usageError('simulate', `--start must be a date such as 2026-12-01 or an ISO 8601 time with its zone, not "${values.start}"`, io);
  }
  const signOffAfterMs = values['sign-off-after'] === undefined ? DEFAULT_SIGN_OFF_AFTER_MS : parseDuration(values['sign-off-after']);
  if (signOffAfterMs === undefined) {
    return usageError('simulate', `--sign-off-after must be a duration such as 1d or 36h, not "${values['sign-off-after']}"`, io);
  }
  if (signOffAfterMs > MAX_DURATION_MS) {
    return usageError('simulate', `--sign-off-after must be at most ${MAX_DURATION_TEXT}, not "${values['sign-off-after']}"`, io);
  }
  const horizonMs = values.until === undefined ? DEFAULT_HORIZON_MS : parseDuration(values.until);
  if (horizonMs === undefined || horizonMs <= 0) {
    return usageError('simulate', `--until must be a duration longer than 0 such as 78w or 730d, not "${values.until}"`, io);
  }
  // Like a plan's durations, so that every date of the simulation is a date.
  if (horizonMs > MAX_DURATION_MS) return usageError('simulate', `--until must be at most ${MAX_DURATION_TEXT}, not "${values.until}"`, io);
  if (parsed.positionals.length !== 1) return usageError('simulate', 'give exactly one plan file', io);
  const scenarioFile = values.metrics;
  if (scenarioFile === undefined) return usageError('simulate', 'give the metric scenario with --metrics <scenario.yaml|csv>', io);

  const plan = loadOnePlan(parsed.positionals[0]!, io);
  if (typeof plan === 'number') return plan;
  let bytes: Buffer;
  try {
    bytes = readFileSync(scenarioFile);
  } catch (error) {
    io.err(`${scenarioFile}: cannot read: ${readErrorText(error)}`);
    return ExitCode.usage;
  }
  const loaded = loadScenario(bytes, { start, file: scenarioFile, format: scenarioFormat(scenarioFile) });
  if (!loaded.ok) {
    for (const issue of loaded.errors) io.err(formatIssue(issue));
    io.err(`${scenarioFile}: ${plural(loaded.errors.length, 'error')}; fix the scenario first`);
    return ExitCode.failed;
  }
  for (const line of metricWarnings(plan, scenarioFile, loaded.metrics)) io.err(line);

  const result = simulate(plan, loaded.scenario, { start, signOffAfterMs, untilMs: start + horizonMs });
  if (values.json) io.out(JSON.stringify(result, null, 2));
  else io.out(renderSimulation(plan, result).trimEnd());
  return ExitCode.ok;
}

/**
 * metricWarnings points out metrics that the plan judges on but the scenario has no samples of
 * (those criteria stay inconclusive), and metrics of the scenario no criterion reads (often a
 * typo), as compiler-style warnings.
 */
export function metricWarnings(plan: Plan, file: string, metrics: ReadonlyMap<string, Position>): string[] {
  const judgedBy = new Map<string, string[]>();
  for (const stage of plan.stages) {
    for (const criterion of stage.criteria) {
      const stages = judgedBy.get(criterion.metric) ?? [];
      if (!stages.includes(stage.id)) stages.push(stage.id);
      judgedBy.set(criterion.metric, stages);
    }
  }
  const warnings: string[] = [];
  for (const [metric, stages] of judgedBy) {
    if (!metrics.has(metric)) {
      warnings.push(`${file}: warning: no samples of "${metric}", which ${stages.join(', ')} judge${stages.length === 1 ? 's' : ''} on: those criteria stay inconclusive`);
    }
  }
  for (const [metric, at] of metrics) {
    if (!judgedBy.has(metric)) {
      warnings.push(`${file}:${at.line}:${at.column}: warning: no criterion of the plan judges "${metric}"${didYouMean(closestMatch(metric, [...judgedBy.keys()]))}`);
    }
  }
  return warnings;
}

const EVENT_STAGE = { rollout: 'rollout' } as const;

/**
 * renderSimulation is the readable report: the timeline (offset from the start, ISO time,
 * stage, what happened), each stage's outcome, and the finish.
 */
export function renderSimulation(plan: Plan, result: SimulationResult): string {
  const offset = (at: number) => offsetText(at - result.start);
  const idWidth = Math.max(EVENT_STAGE.rollout.length, ...plan.stages.map((stage) => stage.id.length));
  const offsetWidth = Math.max(...result.events.map((event) => offset(event.at).length), ...result.stages.map((s) => (s.at === undefined ? 1 : offset(s.at).length)));
  const out: string[] = [];
  out.push(
    `Simulation of ${plan.name} from ${instantText(result.start)}: every sign-off arrives ${formatDuration(result.signOffAfterMs)} after it is asked for; horizon ${offset(result.until)} (${instantText(result.until)}).`,
    '',
    'Timeline:',
  );
  for (const event of result.events) {
    out.push(`  ${offset(event.at).padEnd(offsetWidth)}  ${instantText(event.at)}  ${(event.stageId ?? EVENT_STAGE.rollout).padEnd(idWidth)}  ${event.detail}`);
  }
  out.push('', 'Stages:');
  const outcomeWidth = Math.max(...result.stages.map((s) => s.outcome.length));
  for (const stage of result.stages) {
    const when = stage.at === undefined ? `${'-'.padEnd(offsetWidth)}  ${'-'.padEnd(17)}` : `${offset(stage.at).padEnd(offsetWidth)}  ${instantText(stage.at)}`;
    out.push(`  ${stage.id.padEnd(idWidth)}  ${stage.outcome.padEnd(outcomeWidth)}  ${when}  ${stage.why}`);
  }
  out.push('');
  const last = result.events[result.events.length - 1];
  const endedAt = last === undefined ? result.start : last.at;
  switch (result.outcome) {
    case 'completed':
      out.push(`Earliest finish: ${instantText(result.finishedAt ?? endedAt)} (${offset(result.finishedAt ?? endedAt)}), with every sign-off ${formatDuration(result.signOffAfterMs)} after it is asked for.`);
      break;
    case 'aborted':
      out.push(`No finish: the rollout is aborted at ${instantText(endedAt)} (${offset(endedAt)}).`);
      break;
    case 'held':
      out.push(`No finish: from ${instantText(endedAt)} (${offset(endedAt)}) on, the rollout waits for a person.`);
      break;
    case 'horizon':
      out.push(`No finish by ${instantText(endedAt)} (${offset(endedAt)}); the rollout is still under way.`);
      break;
  }
  out.push(`${plural(result.evaluations, 'criteria evaluation')}; the timeline shows the first of each attempt and every change of verdict.`);
  return `${out.join('\n')}\n`;
}

/** offsetText renders time since the start as +6w2d (+0 at the start). */
export function offsetText(ms: number): string {
  return ms === 0 ? '+0' : ms < 0 ? `-${formatDuration(-ms)}` : `+${formatDuration(ms)}`;
}

/** instantText is ISO 8601 in UTC to the minute, with seconds only when there are any. */
export function instantText(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith(':00.000Z') ? `${iso.slice(0, 16)}Z` : iso;
}

