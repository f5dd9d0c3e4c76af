import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OPS = path.join(__dirname, '..', '..', 'ops');

/** promtool runs Prometheus's own checker; a failing check rejects with its output. */
const promtool = (...args: string[]) => run('promtool', args, { cwd: OPS });

it('the alerting rules are valid and each alert fires on the series its unit test feeds it', async () => {
  const checked = await promtool('check', 'rules', 'prometheus-rules.yml');
  expect(checked.stdout).toContain('SUCCESS: 9 rules found');
  const tested = await promtool('test', 'rules', 'prometheus-rules.test.yml');
  expect(tested.stdout).toContain('SUCCESS');
});

it('a broken rule is refused, so the check above can fail', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rollgate-rules-'));
  const broken = path.join(dir, 'broken.yml');
  await fs.writeFile(broken, 'groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: sum by (plan (rollgate_rollouts)\n');
  await expect(promtool('check', 'rules', broken)).rejects.toThrow(/broken\.yml/);
  await fs.rm(dir, { recursive: true });
});

it("every query of the Grafana dashboard parses, checked as recording rules", async () => {
  const dashboard = JSON.parse(await fs.readFile(path.join(OPS, 'grafana-dashboard.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
  const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr.replaceAll('$plan', '.*')));
  expect(exprs.length).toBeGreaterThan(10);
  const rules = exprs.map((expr, index) => `      - record: dashboard:query_${index}\n        expr: ${JSON.stringify(expr)}`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rollgate-dashboard-'));
  const file = path.join(dir, 'dashboard-queries.yml');
  await fs.writeFile(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
  const checked = await promtool('check', 'rules', file);
  expect(checked.stdout).toContain(`SUCCESS: ${exprs.length} rules found`);
  await fs.rm(dir, { recursive: true });
});
