import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { loadPlan } from '../../definitions';
import { casesFor, type FuzzCase } from '../support/fuzz/cases';
import { ENDPOINTS, type Fixture } from '../support/fuzz/endpoints';
import { oracleProblem } from '../support/fuzz/oracle';
import { endpointKey, readmeEndpoints } from '../support/fuzz/readme-endpoints';
import { send, type FuzzAnswer } from '../support/fuzz/send';
import { changedTables, tableChecksums } from '../support/fuzz/table-checksums';
import { verdict } from '../support/fuzz/verdict';
import { waitForActiveStages } from '../support/decisions';
import { eventually, startHarness, type Harness } from '../support/harness';
import { startRollout } from '../support/rollouts';

/**
 * The fuzz suite: generated bad requests against every endpoint of the README's REST table,
 * over real sockets to the real stack. Bodies come from the request schemas (their JSON
 * Schema): valid but for exactly one place, so every request is certainly invalid and none may
 * write (test/support/fuzz/cases.ts lists the kinds). It asserts: no 5xx; every non-2xx answer
 * is problem+json; refusals of a body say where; and no table changes, apart from the audit
 * rows of denials.
 *
 * Seeded: seed 7 unless ROLLGATE_FUZZ_SEED=<n> (or `random`; the seed is printed); ROLLGATE_FUZZ_RUNS sets
 * the inputs per endpoint (default 8).
 */

// A fixed seed by default, so that npm test runs the same inputs every time; `random` explores.
const DEFAULT_SEED = 7;
const SEED_SETTING = process.env.ROLLGATE_FUZZ_SEED;
const SEED = SEED_SETTING === 'random' ? Math.floor(Math.random() * 2 ** 30) : SEED_SETTING ? Number(SEED_SETTING) : DEFAULT_SEED;
const RUNS_PER_ENDPOINT = Number(process.env.ROLLGATE_FUZZ_RUNS ?? 8);

const PLAN = `
name: fuzz-plan
owner: fuzz-lead
roles:
  deployment-lead: { members: [fuzz-lead] }
  planner: { members: [fuzz-planner] }
  data-owner: { members: [fuzz-data] }
metrics:
  throughput: { unit: parts/h, direction: higher-is-better }
prerequisites:
  - { id: data-contract, kind: data-contract, title: Data contract, before: later, signedBy: data-owner }
stages:
  - id: pilot
    title: Supervised pilot
    mode: supervised
    overrideAuthority: planner
    minDuration: 30d
    approvals: [{ role: deployment-lead }]
    deferral: { confidenceThreshold: 0.8, safeDefault: hold, deferTo: planner }
  - id: later
    title: Later
    mode: supervised
    overrideAuthority: planner
    dependsOn: [pilot]
    minDuration: 30d
    approvals: [{ role: deployment-lead }]
`;

const EXAMPLE_PLANS = ['factory-line.yaml', 'logistics-carrier-selection.yaml'].map((name) => path.join(__dirname, '../../definitions/examples', name));

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

let h: Harness;
let fixture: Fixture;
let admin: Record<string, string>;

beforeAll(async () => {
  // Budgets far above the run, so every input reaches the validators rather than the limiter.
  h = await startHarness({ api: { rateLimits: { principal: 1_000_000, ingest: 1_000_000, unauthenticated: 1_000_000 } } });
  admin = await h.as('admin', ['admin']);
  const rolloutId = await startRollout(h, PLAN, 'fuzz-rollout');
  await waitForActiveStages(h, rolloutId, ['pilot']);
  const decision = (decisionId: string, confidence: number) =>
    h.http('POST', `/v1/rollouts/${rolloutId}/decisions`, { decisionId, kind: 'carrier-selection', confidence, decideBy: inDays(30), recommendation: { carrier: 'a' } });
  expect((await decision('fuzz-auto', 0.95)).body).toMatchObject({ disposition: 'auto' });
  expect((await decision('fuzz-pending', 0.1)).body).toMatchObject({ disposition: 'deferred' });
  const recommendation = await h.http('POST', `/v1/rollouts/${rolloutId}/recommendations`, { recommendationId: 'fuzz-rec', action: 'inspect unit 7', dueBy: inDays(30) });
  expect(recommendation.status).toBe(201);
  fixture = {
    plan: 'fuzz-plan',
    version: '1',
    rolloutId,
    stageId: 'pilot',
    prerequisiteId: 'data-contract',
    metric: 'throughput',
    recommendationId: 'fuzz-rec',
    pendingDecision: 'fuzz-pending',
    autoDecision: 'fuzz-auto',
    proposalId: randomUUID(),
    review: '1',
  };
  // The pending decision's timer marks its row once it runs; after that the stack is at rest.
  await eventually(async () => {
    const { rows } = await h.pool.query(`SELECT 1 FROM decisions WHERE decision_id = 'fuzz-pending' AND timer_started_at IS NOT NULL`);
    return rows.length > 0 ? true : undefined;
  }, 'the pending decision timer to start');
  await atRest();
}, 120_000);

afterAll(() => h?.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** atRest waits until two checksums a second apart agree: nothing the setup started is still writing. */
async function atRest(): Promise<void> {
  let before = await tableChecksums(h.pool);
  for (let i = 0; i < 20; i += 1) {
    await sleep(1_000);
    const after = await tableChecksums(h.pool);
    if (changedTables(before, after).length === 0) return;
    before = after;
  }
  throw new Error('the database kept changing after the setup');
}

interface Failure {
  fuzzCase: FuzzCase;
  answer: FuzzAnswer;
  problems: string[];
}

/** problemClass is a failure's problem without the particulars of one request (ids, counts, quoted text). */
const problemClass = (problem: string) =>
  problem
    .replace(/\(.*$/s, '')
    .replace(/: \[.*$/s, '')
    .replace(/\d+ → \d+ rows/g, 'n rows')
    .trim();

const shorten = (text: string, max = 160) => {
  const line = text.replace(/\n/g, '\\n');
  return line.length > max ? `${line.slice(0, max)}… (${line.length} characters)` : line;
};

const reproduction = ({ fuzzCase, answer, problems }: Failure) => {
  const headers = Object.entries(fuzzCase.request.headers)
    .filter(([name]) => name !== 'authorization' || fuzzCase.kind === 'authorization')
    .map(([name, value]) => `${name}: ${shorten(JSON.stringify(value), 60)}`)
    .join(', ');
  const body = fuzzCase.request.body === undefined ? '' : ` body ${shorten(String(fuzzCase.request.body), 120)}`;
  return `${fuzzCase.endpoint} [${fuzzCase.kind}: ${fuzzCase.description}] → ${problems.join('; ')}\n    ${fuzzCase.request.method} ${shorten(fuzzCase.request.path, 160)} {${headers}}${body} → ${answer.status} ${shorten(answer.text, 200)}`;
};

it("covers every endpoint of the README's REST table", () => {
  const fuzzed = new Set(ENDPOINTS.map((endpoint) => endpointKey(`${endpoint.method} ${endpoint.route}`)));
  expect(readmeEndpoints().filter((endpoint) => !fuzzed.has(endpointKey(endpoint)))).toEqual([]);
});

it(`answers ${RUNS_PER_ENDPOINT} bad inputs per endpoint with a 4xx problem that writes nothing (seed ${SEED})`, async () => {
  process.stderr.write(`fuzz: seed ${SEED} (ROLLGATE_FUZZ_SEED=${SEED} repeats this run), ${RUNS_PER_ENDPOINT} inputs per endpoint\n`);
  const started = Date.now();
  // Plan uploads mutate the example plans: every field of the plan language is in one of them.
  const plans = EXAMPLE_PLANS.map((file) => {
    const text = readFileSync(file, 'utf8');
    expect(loadPlan(text).ok).toBe(true);
    return parseYaml(text) as Record<string, unknown>;
  });
  const failures: Failure[] = [];
  const perEndpoint = new Map<string, number>();
  const sent: FuzzCase[] = [];
  const answers: number[] = [];
  let baseline = await tableChecksums(h.pool);

  // Pause, resume and abort come last: should one of them wrongly go through, the rollout the
  // other endpoints are fuzzed against is still running for them.
  const operatorAction = (route: string) => /\/(pause|resume|abort)$/.test(route);
  const order = [...ENDPOINTS.entries()].sort(([, a], [, b]) => Number(operatorAction(a.route)) - Number(operatorAction(b.route)));
  for (const [index, endpoint] of order) {
    await fc.assert(
      fc.asyncProperty(casesFor(endpoint, fixture, admin, plans), async (fuzzCase) => {
        const generatorBug = oracleProblem(fuzzCase);
        if (generatorBug) throw new Error(generatorBug);
        perEndpoint.set(fuzzCase.endpoint, (perEndpoint.get(fuzzCase.endpoint) ?? 0) + 1);
        sent.push(fuzzCase);
        const answer = await send(h.url, fuzzCase.request);
        answers.push(answer.status);
        const problems = verdict(fuzzCase, answer);
        // Whatever an accepted request set off in a workflow lands a moment later.
        if (answer.status >= 200 && answer.status < 300 && fuzzCase.request.method === 'POST') await sleep(500);
        const after = await tableChecksums(h.pool);
        const changed = changedTables(baseline, after);
        if (changed.length > 0) {
          problems.push(`wrote to ${changed.join(', ')}`);
          baseline = after;
        }
        if (problems.length > 0) failures.push({ fuzzCase, answer, problems });
      }),
      // Each endpoint has a seed of its own (SEED + its place in the table), so one endpoint's
      // cases stay the same when another endpoint's generators change.
      { seed: SEED + index, numRuns: RUNS_PER_ENDPOINT, endOnFailure: true },
    );
  }

  // Late writes of anything the cases set off.
  await sleep(1_000);
  const late = changedTables(baseline, await tableChecksums(h.pool));

  const inputs = [...perEndpoint.values()].reduce((a, b) => a + b, 0);
  process.stderr.write(
    `fuzz: ${inputs} inputs over ${perEndpoint.size} endpoints in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${SEED}); ${failures.length} failed\n`,
  );
  const classes = new Map<string, { endpoints: Set<string>; example: Failure }>();
  for (const failure of failures) {
    const kind = `${failure.fuzzCase.kind} → ${failure.problems.map(problemClass).join('; ')}`;
    const entry = classes.get(kind) ?? { endpoints: new Set<string>(), example: failure };
    classes.set(kind, { ...entry, endpoints: entry.endpoints.add(failure.fuzzCase.endpoint) });
  }
  const rateLimited = answers.filter((status) => status === 429).length;
  const kinds = new Map<string, number>();
  for (const fuzzCase of sent) kinds.set(fuzzCase.kind, (kinds.get(fuzzCase.kind) ?? 0) + 1);
  process.stderr.write(
    `fuzz: inputs by kind: ${[...kinds].map(([kind, n]) => `${kind} ${n}`).join(', ')}; ${rateLimited} rate-limited (429)\n` +
      `fuzz: ${classes.size} distinct failures\n${[...classes]
        .map(([kind, { endpoints, example }]) => `  ${kind}\n      at ${[...endpoints].join(', ')}\n      e.g. ${reproduction(example)}`)
        .join('\n')}\n`,
  );
  expect(perEndpoint.size).toBe(ENDPOINTS.length);
  expect(inputs).toBeGreaterThanOrEqual(300);
  expect(late).toEqual([]);
  expect(failures.map(reproduction)).toEqual([]);
}, 300_000);
