import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freeLocalAddress } from '../../workers/metrics';
import { eventually } from './harness';

export interface InfluxServer {
  url: string;
  /** query runs an InfluxQL statement (CREATE DATABASE …) and returns the parsed answer. */
  query(q: string, db?: string): Promise<unknown>;
  /** write stores line-protocol points in db (times in ms). */
  write(db: string, lines: string): Promise<void>;
  stop(): Promise<void>;
}

/** startInflux runs Debian's influxd (InfluxDB 1.x) on free local ports, with its own config and data directory. */
export async function startInflux(): Promise<InfluxServer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rollgate-influx-'));
  const http = await freeLocalAddress();
  const rpc = await freeLocalAddress();
  await fs.writeFile(
    path.join(dir, 'influxdb.conf'),
    [
      'reporting-enabled = false',
      `bind-address = "${rpc}"`,
      '[meta]',
      `  dir = "${path.join(dir, 'meta')}"`,
      '[data]',
      `  dir = "${path.join(dir, 'data')}"`,
      `  wal-dir = "${path.join(dir, 'wal')}"`,
      '  query-log-enabled = false',
      '[http]',
      `  bind-address = "${http}"`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[continuous_queries]',
      '  enabled = false',
      '',
    ].join('\n'),
  );
  let output = '';
  const child: ChildProcess = spawn('influxd', ['-config', path.join(dir, 'influxdb.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://${http}`;
  await eventually(async () => ((await fetch(`${url}/ping`).catch(() => undefined))?.status === 204 ? true : undefined), `InfluxDB to be ready (${output.slice(-500)})`);
  return {
    url,
    async query(q, db) {
      const body = new URLSearchParams({ q, ...(db ? { db } : {}) });
      const response = await fetch(`${url}/query`, { method: 'POST', body });
      return response.json();
    },
    async write(db, lines) {
      const response = await fetch(`${url}/write?db=${encodeURIComponent(db)}&precision=ms`, { method: 'POST', body: lines });
      if (response.status !== 204) throw new Error(`write failed: ${response.status} ${await response.text()}`);
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
