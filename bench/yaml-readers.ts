/**
 * Which YAML reader plan validation needs: the same plans read by each candidate, in one run,
 * as ratios to JSON.parse of the same data (a floor no YAML reader reaches) and to today's
 * loadPlan. Plans: a realistic large one (100 stages, 200 sites), the same with a lint warning
 * on every shadow stage, and the 1,000-stage one.
 *
 *   npx tsx bench/yaml-readers.ts        (or: npm run bench -- yaml-readers)
 *
 * Candidates, each giving what loadPlan needs (data; positions when there is an issue to place):
 *  - subset reader: definitions/simple-yaml.ts, data and positions in one pass (today's path);
 *  - yaml document: the yaml package's parseDocument + toJS, data and positions (the fallback);
 *  - yaml CST only: the yaml package's Parser alone, tokens with offsets; turning them into data
 *    and a locator is still to be written, so this is a lower bound of that candidate;
 *  - js-yaml: data without positions; a plan with an issue to place (an error or a lint warning)
 *    is read again by the yaml package for them, which the "+ re-read" column adds.
 * The rest of validation (schema, graph, cross-field rules, lint) costs the same after any
 * reader; "total" adds it (loadPlan's time less the subset reader's) to each reader's time.
 */
import jsYaml from 'js-yaml';
import { LineCounter, Parser, parseDocument } from 'yaml';
import { loadPlan } from '../definitions/load';
import { readSimpleYaml } from '../definitions/simple-yaml';
import { generatePlan, type GenerateOptions } from './validate-plan';

interface Case {
  label: string;
  stages: number;
  options: GenerateOptions;
}

const CASES: readonly Case[] = [
  { label: '100 stages, 200 sites', stages: 100, options: { sites: 200 } },
  { label: '… a warning per shadow', stages: 100, options: { sites: 200, warnings: true } },
  { label: '1,000 stages', stages: 1000, options: {} },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * timeAll is the median time of each piece of work over runs rounds, after warm-up rounds that
 * let the JIT settle. Each round runs every piece once, in turn, so that a busy machine slows
 * them alike and the ratios hold.
 */
function timeAll<K extends string>(work: Record<K, () => unknown>, runs: number): Record<K, number> {
  const names = Object.keys(work) as K[];
  const times = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let round = -3; round < runs; round++) {
    for (const name of names) {
      const start = performance.now();
      work[name]();
      if (round >= 0) times[name].push(performance.now() - start);
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(times[name])])) as Record<K, number>;
}

const yamlDocument = (text: string) => {
  const lineCounter = new LineCounter();
  return parseDocument(text, { lineCounter, prettyErrors: false, logLevel: 'error' }).toJS({ maxAliasCount: 100 });
};

const yamlCst = (text: string) => {
  const lineCounter = new LineCounter();
  let tokens = 0;
  for (const _token of new Parser(lineCounter.addNewLine).parse(text)) tokens += 1;
  return tokens;
};

function main(): void {
  console.log('Medians in ms. ×json: the reader\'s time over JSON.parse of the same data; ×today: the total over loadPlan as it is.\n');
  const header = ['plan'.padEnd(24), 'bytes'.padStart(8), 'warn'.padStart(5), 'reader'.padEnd(15), 'parse ms'.padStart(9), 'total ms'.padStart(9), '×json'.padStart(7), '×today'.padStart(7)];
  console.log(header.join(' '));
  for (const { label, stages, options } of CASES) {
    const text = generatePlan(stages, options);
    const result = loadPlan(text);
    if (!result.ok) throw new Error(`the generated plan is invalid: ${result.errors[0]?.message}`);
    const located = result.warnings.length > 0;
    const json = JSON.stringify(jsYaml.load(text));
    const runs = stages >= 1000 ? 11 : 31;

    const ms = timeAll(
      {
        json: () => JSON.parse(json),
        today: () => loadPlan(text),
        subset: () => readSimpleYaml(text),
        document: () => yamlDocument(text),
        cst: () => yamlCst(text),
        jsYaml: () => jsYaml.load(text),
      },
      runs,
    );
    const { json: jsonMs, today: todayMs, subset: subsetMs, document: documentMs, cst: cstMs, jsYaml: jsYamlMs } = ms;
    // What validation costs after the reader, the same for every reader.
    const rest = Math.max(0, todayMs - subsetMs);

    const rows: Array<[string, number, number]> = [
      ['JSON.parse', jsonMs, jsonMs + rest],
      ['subset reader', subsetMs, todayMs],
      ['yaml document', documentMs, documentMs + rest],
      ['yaml CST only', cstMs, cstMs + rest],
      ['js-yaml', jsYamlMs, jsYamlMs + rest],
      ...(located ? ([['… + re-read', jsYamlMs + documentMs, jsYamlMs + documentMs + rest]] as Array<[string, number, number]>) : []),
    ];
    for (const [reader, parse, total] of rows) {
      const cells = [
        label.padEnd(24),
        String(Buffer.byteLength(text)).padStart(8),
        String(result.warnings.length).padStart(5),
        reader.padEnd(15),
        parse.toFixed(2).padStart(9),
        total.toFixed(2).padStart(9),
        (parse / jsonMs).toFixed(1).padStart(7),
        (total / todayMs).toFixed(2).padStart(7),
      ];
      console.log(cells.join(' '));
    }
    console.log('');
  }
}

main();
