import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlan } from '../../definitions/load';

/**
 * Every plan under test/fixtures/plans/invalid/<name>.yaml is loaded (as bytes, like an
 * upload) and must produce exactly the errors in its sibling <name>.expected.json; every plan
 * under valid/ must load without errors or warnings.
 */

const root = join(__dirname, '../fixtures/plans');
const invalidDir = join(root, 'invalid');
const validDir = join(root, 'valid');

const invalid = readdirSync(invalidDir).filter((file) => file.endsWith('.yaml')).sort();
const valid = readdirSync(validDir).filter((file) => file.endsWith('.yaml')).sort();

type Expected = { errors: Array<{ line: number; column: number; path: string; message: string }> };

describe('invalid plan fixtures', () => {
  it('exist, each with its expected errors', () => {
    expect(invalid.length).toBeGreaterThanOrEqual(15);
    const expectations = readdirSync(invalidDir).filter((file) => file.endsWith('.expected.json')).sort();
    expect(expectations).toEqual(invalid.map((file) => file.replace(/\.yaml$/, '.expected.json')));
  });

  it.each(invalid)('%s', (file) => {
    const expected = JSON.parse(readFileSync(join(invalidDir, file.replace(/\.yaml$/, '.expected.json')), 'utf8')) as Expected;
    expect(expected.errors.length).toBeGreaterThan(0);
    const result = loadPlan(new Uint8Array(readFileSync(join(invalidDir, file))));
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors.map(({ line, column, path, message }) => ({ line, column, path, message }));
    expect(errors).toEqual(expected.errors);
  });
});

describe('valid plan fixtures', () => {
  it('exist', () => {
    expect(valid).toEqual(expect.arrayContaining(['diamond.yaml']));
  });

  it.each(valid)('%s', (file) => {
    const result = loadPlan(readFileSync(join(validDir, file), 'utf8'));
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });
});
