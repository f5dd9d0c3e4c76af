import type { PlanPath } from './format-path';

/**
 * Locator maps paths into the parsed plan back to the source, so that every issue gets a line
 * and column. Both YAML readers (the yaml package's document, and the fast reader of the
 * plain subset in simple-yaml.ts) provide one, with the same answers.
 */
export type Locator = {
  /**
   * offsetOf is where the value at `path` starts or, when part of the path does not exist,
   * the deepest value that does (for a missing key, the map that lacks it).
   */
  offsetOf(path: PlanPath): number;
  /** keyOffsetOf is where the key of the map entry at `path` starts, or offsetOf(path) when there is none. */
  keyOffsetOf(path: PlanPath): number;
  /** position turns a source offset into a 1-based line and column (in UTF-16 code units). */
  position(offset: number): { line: number; column: number };
};
