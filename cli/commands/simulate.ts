import { readFileSync } from 'node:fs';
import { MAX_DURATION_MS, MAX_DURATION_TEXT, formatDuration, parseDuration } from '../../definitions/duration';
import { formatIssue } from '../../definitions/load';
import type { Plan } from '../../definitions/schema';
import { closestMatch, didYouMean } from '../../definitions/suggest';
import { DEFAULT_HORIZON_MS, DEFAULT_SIGN_OFF_AFTER_MS, simulate, type SimulationResult } from '../../simulator/simulate';
import { DEFAULT_NOISE_CV, DEFAULT_NOISE_HEADROOM, DEFAULT_NOISE_RUNS, DEFAULT_NOISE_SEED, noiseSimulation, type NoiseResult } from '../../simulator/noise';
import { parseCommandArgs, usageError } from '../args';
import { ExitCode, type CommandIo } from '../command-io';
import { startOption } from '../instant';
import { loadOnePlan, readErrorText } from '../plan-files';
import { plural } from '../plan-words';
import { loadScenario, scenarioFormat, type Position } from '../scenario';

export const SIMULATE_USAGE = `usage: rollgate simulate <plan.yaml> --metrics <scenario.yaml|csv> [options]
       rollgate simulate <plan.yaml> --noise [--runs N] [--seed S] [--cv X] [--headroom Z] [--metrics …]

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
      --noise                   first estimate each stage's false-alarm rate: run its criteria over
                                synthetic data in which nothing changes (docs/simulate.md);
                                --metrics is then optional
      --runs <n>                noise runs per stage (default ${DEFAULT_NOISE_RUNS})
      --seed <n>                seed of the synthetic data (default ${DEFAULT_NOISE_SEED})
      --cv <x>                  coefficient of variation of one sample (default ${DEFAULT_NOISE_CV})
      --headroom <z>            standard deviations between a threshold and the level (default ${DEFAULT_NOISE_HEADROOM})

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
      noise: { type: 'boolean' },
      runs: { type: 'string' },
      seed: { type: 'string' },
      cv: { type: 'string' },
      headroom: { type: 'string' },
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
  const noise = noiseOptions(values, io);
  if (typeof noise === 'number') return noise;
  const scenarioFile = values.metrics;
  if (scenarioFile === undefined && noise === undefined) return usageError('simulate', 'give the metric scenario with --metrics <scenario.yaml|csv>', io);

  const plan = loadOnePlan(parsed.positionals[0]!, io);
  if (typeof plan === 'number') return plan;
  let noiseResult: NoiseResult | undefined;
  if (noise !== undefined) {
    noiseResult = noiseSimulation(plan, { ...noise, signOffAfterMs });
    if (scenarioFile === undefined) {
      io.out(values.json ? JSON.stringify({ noise: noiseResult }, null, 2) : renderNoise(noiseResult).trimEnd());
      return ExitCode.ok;
    }
    if (!values.json) io.out(renderNoise(noiseResult));
  }
  if (scenarioFile === undefined) return ExitCode.ok;
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
  if (values.json) io.out(JSON.stringify(noiseResult === undefined ? result : { noise: noiseResult, ...result }, null, 2));
  else io.out(renderSimulation(plan, result).trimEnd());
  return ExitCode.ok;
}

type NoiseFlags = { noise?: boolean; runs?: string; seed?: string; cv?: string; headroom?: string };
const MAX_NOISE_RUNS = 100_000;

/** noiseOptions reads --noise and its options: undefined without --noise, an exit code on a usage error. */
function noiseOptions(values: NoiseFlags, io: CommandIo): { runs: number; seed: number; cv: number; headroom: number } | ExitCode | undefined {
  if (!values.noise) {
    const stray = (['runs', 'seed', 'cv', 'headroom'] as const).find((flag) => values[flag] !== undefined);
    return stray === undefined ? undefined : usageError('simulate', `--${stray} goes with --noise`, io);
  }
  const read = (flag: keyof Omit<NoiseFlags, 'noise'>, fallback: number, ok: (n: number) => boolean, what: string): number | string => {
    const text = values[flag];
    if (text === undefined) return fallback;
    const n = Number(text);
    return text.trim() !== '' && ok(n) ? n : `--${flag} must be ${what}, not "${text}"`;
  };
  const runs = read('runs', DEFAULT_NOISE_RUNS, (n) => Number.isInteger(n) && n >= 1 && n <= MAX_NOISE_RUNS, `a whole number from 1 to ${MAX_NOISE_RUNS}`);
  const seed = read('seed', DEFAULT_NOISE_SEED, (n) => Number.isSafeInteger(n) && n >= 0, 'a whole number, 0 or more');
  const cv = read('cv', DEFAULT_NOISE_CV, (n) => Number.isFinite(n) && n > 0 && n <= 10, 'a number above 0, at most 10');
  const headroom = read('headroom', DEFAULT_NOISE_HEADROOM, (n) => Number.isFinite(n) && n >= 0 && n <= 100, 'a number from 0 to 100');
  for (const got of [runs, seed, cv, headroom]) if (typeof got === 'string') return usageError('simulate', got, io);
  return { runs: runs as number, seed: seed as number, cv: cv as number, headroom: headroom as number };
}

/** renderNoise is the false-alarm report: per stage, the share of no-change runs in which it failed. */
export function renderNoise(result: NoiseResult): string {
  const out: string[] = [
    `False alarms on noise: ${plural(result.runs, 'run')} per stage over synthetic data in which nothing changes (seed ${result.seed}; each sample's coefficient of variation ${result.cv}; thresholds ${result.headroom} standard deviations from the level).`,
  ];
  const idWidth = Math.max(5, ...result.stages.map((stage) => stage.id.length));
  for (const stage of result.stages) {
    const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
    const when = stage.medianAlarmAfterMs === undefined ? '' : `; median alarm after ${formatDuration(Math.round(stage.medianAlarmAfterMs / 60_000) * 60_000) || '0m'}`;
    const held = stage.inconclusive === 0 ? '' : `; ${stage.inconclusive} held inconclusive`;
    out.push(`  ${stage.id.padEnd(idWidth)}  ${percent(stage.rate).padStart(6)}  (95% CI ${percent(stage.lower)}–${percent(stage.upper)}; ${stage.alarms} of ${stage.runs} failed${when}${held})`);
  }
  return `${out.join('\n')}\n`;
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

