import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlan } from '../../definitions/load';

it("the README's first-screen plan is a valid plan with no lint warnings", () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const plan = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(plan).toBeDefined();
  const result = loadPlan(plan!, { file: 'README.md' });
  expect(result).toMatchObject({ ok: true, warnings: [] });
});
