import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { generatePlan } from '../../bench/validate-plan';
import type { Locator } from '../../definitions/locator';
import { documentLocator, type PlanPath } from '../../definitions/paths';
import { readSimpleYaml } from '../../definitions/simple-yaml';

/**
 * The fast reader must agree with the yaml package on everything it accepts: the data, and
 * where every value and key is. It is checked on the plan fixtures, the examples, generated
 * plans, edge cases, and thousands of random mutations of them.
 */

const fixtures = join(__dirname, '../fixtures/plans');
const examples = join(__dirname, '../../definitions/examples');

const files = [
  ...['valid', 'invalid', 'lint'].flatMap((set) =>
    readdirSync(join(fixtures, set))
      .filter((file) => file.endsWith('.yaml'))
      .map((file) => join(fixtures, set, file)),
  ),
  ...readdirSync(examples).map((file) => join(examples, file)),
];
const corpus = files.map((file) => readFileSync(file, 'utf8')).filter((text) => !text.includes('\ufffd'));

const edgeCases = [
  'a:\nb: 1\n',
  'a:   \nb: 1\n',
  'a: # comment\nb: 1\n',
  'a:',
  'a: x # comment\n# comment\n   # indented comment\nb: y\n',
  'numbers: [0, -0, +5, 007, 1e3, 1., .5, +.5, 0.10, -2.5E-3, 9007199254740991]\nblock: -0\n',
  'big: 12345678901234567890\n',
  'words: [null, Null, NULL, ~, true, True, TRUE, false, FALSE, yes, no, on, off, nan, inf, 1_000, 1:30, 0x, 0o9]\n',
  'hex: 0x1F\n',
  'octal: 0o17\n',
  'infinity: [.inf, -.Inf]\n',
  'nan: .NaN\n',
  'text: 6 weeks, then more\nurl: https://example.com/a?b=c#d\nhash: a#b\npercent: 5%\nemail: lead@example.com\n',
  "quoted: ['it''s', \"double\", '', \"\", 'a # b', \"x: y\"]\nsingle: 'it''s'\ndouble: \"a, b\"\n",
  'list:\n- a\n- b\nnext: 1\n',
  'list:\n  -\n  - \n  - # comment\n  - x\n',
  'list:\n  - - nested\n',
  'list:\n  -\n    - nested\n    - items\n  - key: value\n    other: value\n  -   spaced: key\n      more: 1\n',
  'deep:\n  a:\n    b:\n      c: [1, [2, [3, { d: e }]], {}]\n      f: {}\n      g: []\n',
  'folded: >\n  one\n  two\n\n  three\n\n\n  four\nliteral: |\n  one\n  two\n\n  three\nstrip: >-\n  x\n  y\nlast: 1\n',
  'folded: >\n  one\n    more indented\n',
  'folded: >\n\n  leading blank\n',
  'folded: >\n  x\n# comment\n  y\n',
  'folded: >\n  x # not a comment\n  # nor this\n',
  'folded: >\n  trailing space \n',
  'keep: |+\n  x\n\n',
  'folded: >\n  end without newline',
  'anchor: &a 1\nalias: *a\n',
  'tag: !!str 1\n',
  '---\na: 1\n',
  'a: 1\n...\n',
  '%YAML 1.2\n---\na: 1\n',
  'a: 1\na: 2\n',
  'a: b: c\n',
  'a: [b: c]\n',
  'a: { b }\n',
  'a: { b: }\n',
  'a: [x, ]\n',
  'a: [x\n  , y]\n',
  'a: "multi\n  line"\n',
  'a: plain\n  continued\n',
  'a:\n  b: 1\n c: 2\n',
  'a:\n  - x\n  b: 1\n',
  '? complex\n: key\n',
  '"quoted key": 1\n',
  'a key: 1\n',
  '1: one\n',
  'true: yes\n',
  '__proto__: x\n',
  'a:\tb\n',
  'a: b\r\n',
  '- a\n- b\n',
  'just text\n',
  '',
  '# only a comment\n',
  '  indented: root\n',
  'a: [1, 2]x\n',
  'a: "x"y\n',
  'a: "x" # comment\n',
  'a: -x\nb: ?y\nc: :z\ne: x:y\n',
  'd: - x\n',
  'd: ? x\n',
  'a: @x\n',
  'a: `x`\n',
  'a: x\u0085y\n',
  'a: ok\u2028still\n',
  'a: Zoë — ✓ 😀\n',
];

function walk(value: unknown, path: PropertyKey[], out: PropertyKey[][]): PropertyKey[][] {
  out.push(path);
  if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i], out));
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) walk(item, [...path, key], out);
  return out;
}

function where(locator: Locator, paths: PlanPath[]): string[] {
  return paths.map((path) => `${String(path.join('/'))}: ${locator.offsetOf(path)} ${locator.keyOffsetOf(path)}`);
}

/** agrees checks one text; it returns whether the fast reader took it. */
function agrees(text: string): boolean {
  const fast = readSimpleYaml(text);
  if (fast === undefined) return false;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  expect({ text, errors: doc.errors.map((e) => e.message), warnings: doc.warnings.map((w) => w.message) }).toEqual({ text, errors: [], warnings: [] });
  const data: unknown = doc.toJS();
  expect({ text, data: fast.data }).toEqual({ text, data });
  const paths = walk(data, [], []).flatMap((path) => [path, [...path, 'missing'], [...path, 99]]);
  const slow = documentLocator(doc, lineCounter);
  expect({ text, where: where(fast.locator, paths) }).toEqual({ text, where: where(slow, paths) });
  const offsets = [0, text.length, ...paths.map((path) => fast.locator.offsetOf(path))];
  expect(offsets.map((offset) => fast.locator.position(offset))).toEqual(offsets.map((offset) => slow.position(offset)));
  return true;
}

describe('readSimpleYaml', () => {
  it('agrees with the yaml package on the fixtures and examples', () => {
    const taken = corpus.filter(agrees).length;
    expect(taken).toBeGreaterThan(corpus.length / 2);
  });

  it('agrees on edge cases, and leaves the rest to the yaml package', () => {
    const taken = edgeCases.filter((text) => agrees(text));
    expect(taken.length).toBeGreaterThan(15);
    // A few that must be left alone.
    for (const text of ['anchor: &a 1\nalias: *a\n', 'a: 1\na: 2\n', '- a\n- b\n', '', 'a: plain\n  continued\n', 'keep: |+\n  x\n\n']) {
      expect(readSimpleYaml(text)).toBeUndefined();
    }
  });

  it('reads generated plans and the examples itself, except for anchors', () => {
    for (const size of [10, 100]) expect(agrees(generatePlan(size))).toBe(true);
    expect(agrees(readFileSync(join(examples, 'factory-line.yaml'), 'utf8'))).toBe(true);
    // The logistics example shares criteria between stages through an anchor.
    expect(agrees(readFileSync(join(examples, 'logistics-carrier-selection.yaml'), 'utf8'))).toBe(false);
  });

  it('agrees on random mutations of all of these', () => {
    // A small deterministic generator (mulberry32), so that failures reproduce.
    let seed = 0x5eed;
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pieces = [' ', '  ', '-', '- ', ':', ': ', '#', ' #', '\n', '\n  ', '[', ']', '{', '}', ',', '"', "'", '>', '|', 'a', '0', '.', '@', '&', '*', '!', '?', '~', '1e3', 'null', '|-', '>\n  x'];
    const seeds = [...corpus.filter((text) => text.length < 6000), ...edgeCases];
    let taken = 0;
    for (let round = 0; round < 1500; round++) {
      let text = seeds[Math.floor(random() * seeds.length)]!;
      for (let k = 1 + Math.floor(random() * 2); k > 0; k--) {
        const at = Math.floor(random() * (text.length + 1));
        const cut = random() < 0.5 ? Math.floor(random() * 3) : 0;
        const insert = random() < 0.8 ? pieces[Math.floor(random() * pieces.length)]! : '';
        text = text.slice(0, at) + insert + text.slice(at + cut);
      }
      if (agrees(text)) taken++;
    }
    expect(taken).toBeGreaterThan(250);
  });
});
