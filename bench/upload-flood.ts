import { anchoredPlan, manyKeysPlan } from '../test/support/costly-plans';
import { runLoad, summarize, type LoadPhase } from './support/load';
import { benchDecision, startBenchStack, type BenchStack } from './support/stack';
import { numericOptions } from './support/options';
import { runBenchmark } from './support/throwaway';

/**
 * Benchmark of the API's event loop under a flood of worst-case plan uploads: decisions go to
 * POST /v1/rollouts/:id/decisions from `clients` clients, and in the flood phases `uploaders`
 * more clients send, one after another, the costliest plans at the size limit (1 MiB with one
 * YAML anchor, about 1–2 s of CPU each; and one that would take over a minute and meets the
 * CPU-time budget). The API's event-loop delay (perf_hooks.monitorEventLoopDelay, in the API's
 * process) is compared with baseline phases without uploads, measured in the same run, in
 * slices taken in turns (baseline, flood, then flood, baseline, …).
 *
 *   npm run bench -- upload-flood [--duration=10] [--clients=4] [--uploaders=8] [--slices=4]
 *
 * Goal: p99 event-loop delay under 50 ms while the uploads run. Exits 1 when a decision failed
 * or an upload got an answer other than 422 (refused, as these plans are) or 503 (too many
 * uploads waiting).
 */

const GOAL_P99_MS = 50;

interface Options {
  duration: number;
  clients: number;
  uploaders: number;
  slices: number;
}

function parseOptions(argv: string[]): Options {
  return numericOptions(argv, { duration: 10, clients: 4, uploaders: 8, slices: 4 });
}

interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

interface Phase {
  decisions: LoadPhase;
  delay: LoopDelay;
  uploads: Record<string, number>;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const plans = [anchoredPlan('flood'), manyKeysPlan()];
  const stack = await startBenchStack(log);
  try {
    const seconds = options.duration / options.slices;
    log('warming up: decisions, and one upload to start the loader threads');
    await runPhase(stack, options, 2, plans, false, 'warm');
    await upload(stack, plans[0]!);
    log(`measuring: ${options.duration} s per mode in ${options.slices} slices, ${options.clients} decision clients, ${options.uploaders} uploaders`);
    const baseline: Phase[] = [];
    const flood: Phase[] = [];
    for (let slice = 0; slice < options.slices; slice += 1) {
      for (const flooding of slice % 2 === 0 ? [false, true] : [true, false]) {
        (flooding ? flood : baseline).push(await runPhase(stack, options, seconds, plans, flooding, `s${slice}${flooding ? 'f' : 'b'}`));
      }
    }

    const worst = (phases: Phase[], key: keyof LoopDelay) => Math.max(...phases.map((phase) => phase.delay[key]));
    const uploads = flood.reduce<Record<string, number>>((all, phase) => {
      for (const [status, count] of Object.entries(phase.uploads)) all[status] = (all[status] ?? 0) + count;
      return all;
    }, {});
    const modes = [
      { name: 'decisions only (baseline)', phases: baseline },
      { name: `decisions + ${options.uploaders} uploaders`, phases: flood },
    ];
    const floodP99 = worst(flood, 'p99');
    const baselineP99 = worst(baseline, 'p99');
    const lines = [
      '',
      `rollgate event loop under worst-case plan uploads: ${options.clients} decision clients, ${options.duration} s per mode (${options.slices} slices, in turns)`,
      '',
      row('mode', 'loop p50 ms', 'loop p99 ms', 'loop max ms', 'dec. req/s', 'dec. p99 ms', 'dec. failed'),
      ...modes.map(({ name, phases }) => {
        const decisions = summarize(phases.map((phase) => phase.decisions));
        return row(
          name,
          worst(phases, 'p50').toFixed(1),
          worst(phases, 'p99').toFixed(1),
          worst(phases, 'max').toFixed(1),
          decisions.throughput.toFixed(0),
          decisions.p99.toFixed(1),
          decisions.failed,
        );
      }),
      '',
      `(loop figures are the worst slice's; a slice's p99 is over its ${seconds} s)`,
      `uploads answered  ${Object.entries(uploads).map(([status, count]) => `${count}× ${status}`).join(', ') || 'none'}`,
      `loop p99 ratio    ${(floodP99 / baselineP99).toFixed(2)}× the baseline; ` +
        `under uploads ${floodP99.toFixed(1)} ms (goal < ${GOAL_P99_MS} ms: ${floodP99 < GOAL_P99_MS ? 'met' : 'NOT met'})`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
    const decisionsFailed = [...baseline, ...flood].some((phase) => phase.decisions.failed > 0);
    const unexpectedUploads = Object.keys(uploads).some((status) => status !== '422' && status !== '503');
    return decisionsFailed || unexpectedUploads ? 1 : 0;
  } finally {
    await stack.stop();
  }
}

/** runPhase sends decisions for `seconds`, and uploads alongside when flooding; returns the loop delay meanwhile. */
async function runPhase(stack: BenchStack, options: Options, seconds: number, plans: string[], flooding: boolean, label: string): Promise<Phase> {
  await fetch(`${stack.servers.bare}/loop-delay/reset`, { method: 'POST' });
  const decideBy = new Date(Date.now() + 7 * 86_400_000).toISOString();
  const end = Date.now() + seconds * 1000;
  const uploads: Record<string, number> = {};
  const uploader = async (client: number) => {
    for (let n = 0; Date.now() < end; n += 1) {
      const status = await upload(stack, plans[(client + n) % plans.length]!);
      uploads[status] = (uploads[status] ?? 0) + 1;
    }
  };
  const [decisions] = await Promise.all([
    runLoad({
      url: `${stack.servers.api}/v1/rollouts/${stack.rolloutId}/decisions`,
      clients: options.clients,
      seconds,
      headers: stack.service,
      body: (client, n) => benchDecision(decideBy, `${label}-${client}-${n}`),
    }),
    ...(flooding ? Array.from({ length: options.uploaders }, (_, client) => uploader(client)) : []),
  ]);
  const delay = (await (await fetch(`${stack.servers.bare}/loop-delay`)).json()) as LoopDelay;
  return { decisions, delay, uploads };
}

/** upload posts a plan and returns the answer's status ('error' when there was none). */
async function upload(stack: BenchStack, plan: string): Promise<string> {
  try {
    const response = await fetch(`${stack.servers.api}/v1/plans`, {
      method: 'POST',
      headers: { ...stack.admin, 'content-type': 'application/yaml' },
      body: plan,
    });
    await response.arrayBuffer();
    return String(response.status);
  } catch {
    return 'error';
  }
}

function row(...cells: Array<string | number>): string {
  const [name, ...rest] = cells.map(String);
  return `${name!.padEnd(30)}${rest.map((cell) => cell.padStart(13)).join('')}`;
}

runBenchmark(main);
