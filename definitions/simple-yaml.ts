import type { PlanPath } from './format-path';
import type { Locator } from './locator';

/**
 * A fast reader for the plain subset of YAML that plans are usually written in, because the
 * alternatives cost several times the whole validation. bench/yaml-readers.ts measures them in
 * one run, as ratios of the whole loadPlan to today's (three runs on a busy machine): on a
 * 100-stage, 200-site plan (120 kB) the yaml package's document takes 6 to 9 times as long,
 * its CST alone (before any conversion to data) 5 to 6 times, and js-yaml 1.1 to 1.3 times,
 * but js-yaml gives no positions. Every issue needs them, lint warnings included, so a plan
 * with a warning would be read again: 9 to 10 times as long. On the 1,000-stage plan (756 kB)
 * the document takes 6 to 10 times as long, the CST 4 to 6, js-yaml 1.0 to 1.2.
 * readSimpleYaml either
 * returns exactly the data and positions the yaml package would, or undefined, and then the
 * loader reads the text with the yaml package; anything outside the subset, and anything the
 * yaml package would warn about or reject, is left to it.
 *
 * The subset: a block mapping at the top; block mappings and sequences indented with spaces
 * (a sequence may sit at its key's indentation); keys of letters, digits and `_ - . @ /`;
 * single-line plain, single-quoted and (escape-free) double-quoted scalars; flow sequences and
 * mappings on one line; `>` and `|` block scalars of evenly indented lines, clipped or
 * stripped; comments. Plain scalars resolve as in the YAML 1.2 core schema: null, true/false,
 * decimal integers and floats, everything else text. Not in the subset (so read by the yaml
 * package): anchors, aliases, tags, directives, document markers, multi-line plain or quoted
 * scalars, escapes, quoted or complex keys, duplicate keys, tabs, carriage returns and control
 * characters.
 *
 * Pure: no I/O. test/unit/definitions-simple-yaml.test.ts compares it with the yaml package.
 */
export function readSimpleYaml(text: string): { data: unknown; locator: Locator } | undefined {
  try {
    const reader = new Reader(text);
    const data = reader.document();
    return { data, locator: locatorFor(reader.node, reader.lineStarts) };
  } catch (error) {
    // Unsupported is the expected way out; a stack overflow on absurd nesting is the other.
    if (error instanceof Unsupported || error instanceof RangeError) return undefined;
    throw error;
  }
}

class Unsupported extends Error {}

function unsupported(): never {
  throw new Unsupported();
}

/**
 * Where the values are: a scalar as its start offset; a mapping or a sequence as its start
 * and its entries' nodes (a mapping also its keys and where they start). Lean, because a large
 * plan has tens of thousands of them.
 */
type SourceNode = number | SourceMap | SourceSeq;
type SourceMap = { start: number; keys: string[]; keyStarts: number[]; nodes: SourceNode[] };
type SourceSeq = { start: number; nodes: SourceNode[] };

const SPACE = 0x20;
const NEWLINE = 0x0a;
const HASH = 0x23;
const COLON = 0x3a;
const DASH = 0x2d;

class Reader {
  readonly lineStarts: number[] = [0];
  /** Content lines (not blank, not only a comment): where each starts, its indentation and where it ends. */
  private readonly starts: number[] = [];
  private readonly indents: number[] = [];
  private readonly ends: number[] = [];
  /** The next content line to read. */
  private line = 0;
  /** node is where the value read last is; end, for a value in flow, where it ends. */
  node: SourceNode = 0;
  private end = 0;

  constructor(private readonly text: string) {
    this.scanLines();
  }

  document(): unknown {
    if (this.starts.length === 0 || this.indents[0] !== 0 || this.isDashAt(this.starts[0]!)) unsupported();
    const read = this.blockMap(this.starts[0]!, 0);
    if (this.line < this.starts.length) unsupported();
    return read;
  }

  private scanLines(): void {
    const text = this.text;
    let lineStart = 0;
    for (let i = 0; i <= text.length; i++) {
      const c = i < text.length ? text.charCodeAt(i) : NEWLINE;
      if (c === NEWLINE) {
        this.addLine(lineStart, i);
        lineStart = i + 1;
        if (i < text.length) this.lineStarts.push(lineStart);
      } else if (c < SPACE || c === 0x7f || (c >= 0x80 && c <= 0x9f) || c === 0xfeff || c === 0xfffe || c === 0xffff) {
        unsupported(); // tabs, carriage returns, control characters
      }
    }
  }

  private addLine(start: number, end: number): void {
    let i = start;
    while (i < end && this.text.charCodeAt(i) === SPACE) i++;
    if (i === end || this.text.charCodeAt(i) === HASH) return;
    if (i === start) {
      const head = this.text.slice(start, Math.min(end, start + 4));
      if (head.startsWith('%') || /^(---|\.\.\.)( |$)/.test(head)) unsupported(); // directives, document markers
    }
    this.starts.push(start);
    this.indents.push(i - start);
    this.ends.push(end);
  }

  /** blockMap reads the entries of a block mapping at column `col`, the first starting at `at` on the current line. */
  private blockMap(at: number, col: number): Record<string, unknown> {
    const value: Record<string, unknown> = {};
    const node: SourceMap = { start: at, keys: [], keyStarts: [], nodes: [] };
    let entry = at;
    for (;;) {
      const end = this.ends[this.line]!;
      const keyEnd = this.keyEnd(entry, end);
      if (keyEnd < 0) unsupported();
      const key = this.text.slice(entry, keyEnd);
      if (!isNewKey(value, key)) unsupported();
      value[key] = this.value(keyEnd + 1, end, col, true);
      node.keys.push(key);
      node.keyStarts.push(entry);
      node.nodes.push(this.node);
      this.node = node;
      if (this.line >= this.starts.length) return value;
      const indent = this.indents[this.line]!;
      if (indent < col) return value;
      if (indent > col || this.isDashAt(this.starts[this.line]! + col)) unsupported();
      entry = this.starts[this.line]! + col;
    }
  }

  /** blockSeq reads the items of a block sequence whose dashes are at column `col`, from the current line. */
  private blockSeq(col: number): unknown[] {
    const value: unknown[] = [];
    const node: SourceSeq = { start: this.starts[this.line]! + col, nodes: [] };
    for (;;) {
      const lineStart = this.starts[this.line]!;
      const end = this.ends[this.line]!;
      let pos = lineStart + col + 1;
      while (pos < end && this.text.charCodeAt(pos) === SPACE) pos++;
      if (pos < end && pos > lineStart + col + 1 && this.keyEnd(pos, end) >= 0) {
        // `- key: value` starts a mapping at the key's column.
        value.push(this.blockMap(pos, pos - lineStart));
      } else {
        if (this.isDashAt(pos)) unsupported(); // `- - x`
        value.push(this.value(lineStart + col + 1, end, col, false));
      }
      node.nodes.push(this.node);
      this.node = node;
      if (this.line >= this.starts.length) return value;
      const indent = this.indents[this.line]!;
      if (indent < col) return value;
      if (indent > col) unsupported();
      if (!this.isDashAt(this.starts[this.line]! + col)) return value;
    }
  }

  /**
   * value reads what follows a key's colon or an item's dash at `from` (the rest of the line up
   * to `end`) and, for a nested block, the lines after it; the parent is at column `col`.
   */
  private value(from: number, end: number, col: number, inMap: boolean): unknown {
    const text = this.text;
    let pos = from;
    while (pos < end && text.charCodeAt(pos) === SPACE) pos++;
    if (pos < end && pos === from) unsupported(); // `key:value` or `-x` is no entry
    if (pos === end || text.charCodeAt(pos) === HASH) {
      this.line++;
      if (this.line < this.starts.length) {
        const indent = this.indents[this.line]!;
        const first = this.starts[this.line]! + indent;
        if (indent > col) return this.isDashAt(first) ? this.blockSeq(indent) : this.blockMap(first, indent);
        // A sequence may sit at the indentation of the key it belongs to.
        if (inMap && indent === col && this.isDashAt(first)) return this.blockSeq(indent);
      }
      // Nothing: the yaml package puts the empty value where the comment or the line end is.
      this.node = pos;
      return null;
    }
    const c = text.charCodeAt(pos);
    if (c === 0x3e || c === 0x7c) return this.blockScalar(pos, end, col); // > |
    let value: unknown;
    if (c === 0x5b || c === 0x7b) {
      value = this.flow(pos, end);
    } else {
      value = c === 0x22 || c === 0x27 ? this.quoted(pos, end) : this.plain(pos, end, false);
      this.node = pos;
    }
    const after = this.end;
    let rest = after;
    while (rest < end && text.charCodeAt(rest) === SPACE) rest++;
    if (rest < end && (text.charCodeAt(rest) !== HASH || rest === after)) unsupported();
    this.line++;
    // A more indented line after a scalar would continue it (or be an error).
    if (this.line < this.starts.length && this.indents[this.line]! > col) unsupported();
    return value;
  }

  /** blockScalar reads a `>` or `|` scalar whose header is at `at`; its lines follow, more indented than `col`. */
  private blockScalar(at: number, end: number, col: number): string {
    const text = this.text;
    const folded = text.charCodeAt(at) === 0x3e;
    const header = text.slice(at + 1, end);
    if (header !== '' && header !== '-') unsupported();
    const strip = header === '-';
    // Read raw lines: comment-like lines inside the scalar are content.
    const lines: string[] = [];
    let indent = -1;
    let next = end + 1;
    let blanks = 0;
    while (next < text.length) {
      let lineEnd = text.indexOf('\n', next);
      if (lineEnd < 0) lineEnd = text.length;
      let i = next;
      while (i < lineEnd && text.charCodeAt(i) === SPACE) i++;
      if (i === lineEnd) {
        if (indent < 0 || i - next > indent) unsupported(); // leading blank lines, or spaces as content
        blanks++;
      } else {
        if (indent < 0) {
          indent = i - next;
          if (indent <= col) unsupported();
        }
        if (i - next < indent) break;
        if (i - next > indent || text.charCodeAt(lineEnd - 1) === SPACE) unsupported(); // more indented lines fold differently
        lines.push(...Array<string>(blanks).fill(''), text.slice(i, lineEnd));
        blanks = 0;
      }
      next = lineEnd + 1;
    }
    if (lines.length === 0) unsupported();
    let value = '';
    lines.forEach((line, k) => {
      if (k === 0) value = line;
      else if (!folded) value += `\n${line}`;
      // Folding: a single line break becomes a space; empty lines stay line breaks.
      else if (line === '') value += '\n';
      else value += lines[k - 1] === '' ? line : ` ${line}`;
    });
    if (!strip) value += '\n';
    // Skip the content lines inside the scalar.
    const scalarEnd = Math.min(next, text.length);
    while (this.line < this.starts.length && this.starts[this.line]! < scalarEnd) this.line++;
    if (this.line < this.starts.length && this.indents[this.line]! > col) unsupported();
    this.node = at;
    return value;
  }

  /** flow reads a flow collection on one line; this.end is where it ends. */
  private flow(at: number, end: number): unknown[] | Record<string, unknown> {
    const text = this.text;
    const isSeq = text.charCodeAt(at) === 0x5b;
    const close = isSeq ? 0x5d : 0x7d;
    const value: unknown[] | Record<string, unknown> = isSeq ? [] : {};
    const node: SourceMap | SourceSeq = isSeq ? { start: at, nodes: [] } : { start: at, keys: [], keyStarts: [], nodes: [] };
    let pos = this.skipSpaces(at + 1, end);
    if (text.charCodeAt(pos) !== close) {
      for (;;) {
        if (Array.isArray(value)) {
          value.push(this.flowValue(pos, end));
        } else {
          const keyEnd = this.keyEnd(pos, end);
          if (keyEnd < 0) unsupported();
          const key = text.slice(pos, keyEnd);
          if (!isNewKey(value, key)) unsupported();
          const valueAt = this.skipSpaces(keyEnd + 1, end);
          if (valueAt === keyEnd + 1) unsupported();
          value[key] = this.flowValue(valueAt, end);
          (node as SourceMap).keys.push(key);
          (node as SourceMap).keyStarts.push(pos);
        }
        node.nodes.push(this.node);
        pos = this.skipSpaces(this.end, end);
        const c = text.charCodeAt(pos);
        if (c === close) break;
        if (c !== 0x2c) unsupported(); // ,
        pos = this.skipSpaces(pos + 1, end);
        if (pos >= end || text.charCodeAt(pos) === close) unsupported(); // trailing comma
      }
    }
    this.node = node;
    this.end = pos + 1;
    return value;
  }

  /** flowValue reads a value inside a flow collection; this.end is where it ends. */
  private flowValue(at: number, end: number): unknown {
    if (at >= end) unsupported();
    const c = this.text.charCodeAt(at);
    if (c === 0x5b || c === 0x7b) return this.flow(at, end);
    const value = c === 0x22 || c === 0x27 ? this.quoted(at, end) : this.plain(at, end, true);
    this.node = at;
    return value;
  }

  /** plain reads a plain scalar on one line, in flow context also ending at `,[]{}`; this.end is where it ends. */
  private plain(at: number, end: number, flow: boolean): unknown {
    const text = this.text;
    const first = text.charCodeAt(at);
    if ('[]{},#&*!|>\'"%@`'.includes(text[at]!)) unsupported();
    if (first === DASH || first === 0x3f || first === COLON) {
      // `- `, `? ` and `: ` (in flow also before `,[]{}`) are indicators, not the start of a scalar.
      if (at + 1 >= end || text.charCodeAt(at + 1) === SPACE || (flow && ',[]{}'.includes(text[at + 1]!))) unsupported();
    }
    let last = at; // one past the last non-space character
    for (let i = at; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === HASH && text.charCodeAt(i - 1) === SPACE) break;
      if (flow && (c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d)) break;
      if (c === COLON && (i + 1 >= end || text.charCodeAt(i + 1) === SPACE || (flow && ',[]{}'.includes(text[i + 1]!)))) unsupported();
      if (c !== SPACE) last = i + 1;
    }
    this.end = last;
    return resolvePlain(text.slice(at, last));
  }

  /** quoted reads a single- or double-quoted scalar on one line (escapes are left to the yaml package); this.end is where it ends. */
  private quoted(at: number, end: number): string {
    const text = this.text;
    const quote = text.charCodeAt(at);
    let value = '';
    let from = at + 1;
    for (let i = at + 1; i < end; i++) {
      const c = text.charCodeAt(i);
      if (quote === 0x22 && c === 0x5c) unsupported(); // backslash escape
      if (c !== quote) continue;
      if (quote === 0x27 && text.charCodeAt(i + 1) === 0x27) {
        value += text.slice(from, i + 1);
        from = i + 2;
        i++;
        continue;
      }
      this.end = i + 1;
      return value + text.slice(from, i);
    }
    return unsupported(); // the scalar goes on on the next line
  }

  /** keyEnd is the offset of the colon ending a plain key at `at` (followed by a space or the line end), or -1. */
  private keyEnd(at: number, end: number): number {
    const text = this.text;
    if (!isKeyStart(text.charCodeAt(at))) return -1;
    let i = at + 1;
    while (i < end && isKeyChar(text.charCodeAt(i))) i++;
    if (i - at > 200 || text.charCodeAt(i) !== COLON) return -1;
    return i + 1 >= end || text.charCodeAt(i + 1) === SPACE ? i : -1;
  }

  private isDashAt(pos: number): boolean {
    const next = this.text.charCodeAt(pos + 1);
    return this.text.charCodeAt(pos) === DASH && (next === SPACE || next === NEWLINE || pos + 1 >= this.text.length);
  }

  private skipSpaces(pos: number, end: number): number {
    while (pos < end && this.text.charCodeAt(pos) === SPACE) pos++;
    return pos;
  }
}

/** isNewKey: a key that is neither a duplicate (the yaml package rejects those) nor `__proto__`. */
function isNewKey(record: Record<string, unknown>, key: string): boolean {
  return key !== '__proto__' && resolvePlain(key) === key && !Object.prototype.hasOwnProperty.call(record, key);
}

function isKeyStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f;
}

function isKeyChar(c: number): boolean {
  return isKeyStart(c) || c === DASH || c === 0x2e || c === 0x40 || c === 0x2f; // - . @ /
}

const NULL = /^(?:~|[Nn]ull|NULL)$/;
const TRUE = /^(?:[Tt]rue|TRUE)$/;
const FALSE = /^(?:[Ff]alse|FALSE)$/;
const INT = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
/** Numbers the core schema reads in ways not worth repeating here: octal, hex, infinities, NaN. */
const OTHER_NUMBER = /^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;

/** resolvePlain gives a plain scalar its YAML 1.2 core schema value. */
function resolvePlain(source: string): unknown {
  // Only these can start anything but text: ~ null true false digits signs dot.
  if (!/^[~nNtTfF0-9+\-.]/.test(source)) return source;
  if (NULL.test(source)) return null;
  if (TRUE.test(source)) return true;
  if (FALSE.test(source)) return false;
  if (INT.test(source)) {
    // The yaml package negates the parsed digits: -0 stays -0.
    const digits = Number.parseInt(source.replace(/^[-+]/, ''), 10);
    if (!Number.isSafeInteger(digits)) unsupported();
    return source.startsWith('-') ? -1 * digits : digits;
  }
  if (FLOAT.test(source)) return Number.parseFloat(source);
  if (OTHER_NUMBER.test(source)) unsupported();
  return source;
}

function locatorFor(root: SourceNode, lineStarts: readonly number[]): Locator {
  const startOf = (node: SourceNode): number => (typeof node === 'number' ? node : node.start);
  const child = (node: SourceNode, step: PropertyKey): SourceNode | undefined => {
    if (typeof node === 'number') return undefined;
    if ('keys' in node) return typeof step === 'string' ? node.nodes[node.keys.indexOf(step)] : undefined;
    return typeof step === 'number' ? node.nodes[step] : undefined;
  };
  const nodeAt = (path: PlanPath): SourceNode => {
    let node = root;
    for (const step of path) {
      const next = child(node, step);
      if (next === undefined) return node;
      node = next;
    }
    return node;
  };
  return {
    offsetOf: (path) => startOf(nodeAt(path)),
    keyOffsetOf: (path) => {
      const key = path[path.length - 1];
      const parent = nodeAt(path.slice(0, -1));
      const index = typeof parent !== 'number' && 'keys' in parent && typeof key === 'string' ? parent.keys.indexOf(key) : -1;
      return index >= 0 ? (parent as SourceMap).keyStarts[index]! : startOf(nodeAt(path));
    },
    position: (offset) => {
      // The last line starting at or before the offset.
      let low = 0;
      let high = lineStarts.length - 1;
      while (low < high) {
        const mid = (low + high + 1) >> 1;
        if (lineStarts[mid]! <= offset) low = mid;
        else high = mid - 1;
      }
      return { line: low + 1, column: offset - lineStarts[low]! + 1 };
    },
  };
}
