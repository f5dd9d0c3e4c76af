import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freeLocalAddress } from '../../workers/metrics';
import { eventually } from './harness';

export interface PrometheusServer {
  url: string;
  /** query runs an instant PromQL query and returns its vector as label sets with values. */
  query(promql: string): Promise<{ labels: Record<string, string>; value: number }[]>;
  stop(): Promise<void>;
}

/**
 * startPrometheus runs the `prometheus` binary on a free local port with a config and data
 * directory of its own, scraping each job's targets every second.
 */
export async function startPrometheus(jobs: Record<string, string[]>): Promise<PrometheusServer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rollgate-prometheus-'));
  const scrapes = Object.entries(jobs).map(
    ([job, targets]) => `  - job_name: ${job}\n    metrics_path: /metrics\n    static_configs:\n      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
  );
  await fs.writeFile(path.join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n${scrapes.join('\n')}\n`);
  const address = await freeLocalAddress();
  let output = '';
  const child: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=${address}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://${address}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await eventually(async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), `Prometheus to be ready (${output.slice(-500)})`);
  return {
    url,
    async query(promql) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error}`);
      return body.data.result.map((item) => ({ labels: item.metric, value: Number(item.value[1]) }));
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
