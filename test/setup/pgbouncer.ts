import { type ChildProcess, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './app.js';
import { asRoot, describeNeeding, ownerOf, type PgCluster } from './pg-cluster.js';

/** Debian's package (`apt-get install pgbouncer`); CI installs it (.ci/run). */
export const PGBOUNCER = '/usr/sbin/pgbouncer';

/**
 * describe() for suites behind a PgBouncer: like describeWithCluster, they fail on CI and
 * whenever DATABASE_URL is set if the pooler is missing; only a machine on the embedded
 * database without it reports them skipped.
 */
export const describeWithPooler: jest.Describe = describeNeeding(() => existsSync(PGBOUNCER));

/**
 * A PgBouncer of a test's own in front of a PgCluster: transaction pool mode, a few
 * server connections per database so that consecutive statements of one client land on
 * different server sessions, a generated ini and auth file on a free port. It refuses to
 * run as root, so as root it runs as the `postgres` OS user, like the cluster.
 */
export class PgBouncer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly folder: string,
    private readonly output: { text: string },
    readonly port: number,
  ) {}

  /** postgres://postgres@127.0.0.1:<port>/postgres, through the pooler */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get log(): string {
    return this.output.text;
  }

  static async start(cluster: PgCluster, options: { poolSize?: number } = {}): Promise<PgBouncer> {
    // Fails, never skips: a fault test that silently ran without its pooler would prove nothing.
    if (!existsSync(PGBOUNCER)) throw new Error(`no ${PGBOUNCER}: install Debian's pgbouncer package`);
    const folder = mkdtempSync(join(tmpdir(), 'tessera-pgbouncer-'));
    const port = await freePort();
    const ini = join(folder, 'pgbouncer.ini');
    writeFileSync(join(folder, 'userlist.txt'), '"postgres" ""\n');
    writeFileSync(
      ini,
      [
        '[databases]',
        `* = host=127.0.0.1 port=${cluster.port}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${join(folder, 'userlist.txt')}`,
        'pool_mode = transaction',
        `default_pool_size = ${options.poolSize ?? 4}`,
        'max_client_conn = 500',
        'ignore_startup_parameters = extra_float_digits,options',
        // A query waiting for a server that is down (a failover) fails after 5 s, not 120:
        // what docs/scaling.md advises.
        'query_wait_timeout = 5',
        '',
      ].join('\n'),
    );
    const owner = asRoot() ? ownerOf('postgres') : undefined;
    if (owner) for (const file of [folder, ini, join(folder, 'userlist.txt')]) chownSync(file, owner.uid, owner.gid);
    const child = spawn(PGBOUNCER, [ini], { stdio: ['ignore', 'pipe', 'pipe'], ...(owner ?? {}) });
    const output = { text: '' };
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
    const bouncer = new PgBouncer(child, folder, output, port);
    try {
      await bouncer.waitUntilServing();
    } catch (error) {
      await bouncer.destroy();
      throw error;
    }
    return bouncer;
  }

  private async waitUntilServing(): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const client = new pg.Client({ connectionString: this.url });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return;
      } catch (error) {
        if (this.child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`pgbouncer did not start: ${(error as Error).message}; ${this.output.text.trim()}`, { cause: error });
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  }

  async destroy(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGINT');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.folder, { recursive: true, force: true });
  }
}
