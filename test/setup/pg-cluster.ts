import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDataSource, migrate } from '../../src/persistence/data-source.js';
import { freePort } from './app.js';
import type { TestDatabase } from './database.js';

/**
 * A Postgres cluster of a test's own (initdb + pg_ctl on a free port under a temporary
 * folder, trust auth), so a fault test may stop it, kill its backends or start it again
 * without touching the server every other suite uses. initdb refuses to run as root:
 * then the folder belongs to the `postgres` OS user and the binaries run as that user.
 */
export class PgCluster {
  private constructor(
    private readonly bin: string,
    private readonly folder: string,
    private readonly dataDir: string,
    readonly port: number,
  ) {}

  /** postgres://postgres@127.0.0.1:<port>/postgres */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(): Promise<PgCluster> {
    const bin = postgresBinaries();
    const folder = mkdtempSync(join(tmpdir(), 'tessera-pg-'));
    if (asRoot()) {
      const owner = ownerOf('postgres');
      chownSync(folder, owner.uid, owner.gid);
    }
    const dataDir = join(folder, 'data');
    run(bin, 'initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-locale']);
    const cluster = new PgCluster(bin, folder, dataDir, await freePort());
    try {
      cluster.startServer();
    } catch (error) {
      rmSync(folder, { recursive: true, force: true });
      throw error;
    }
    return cluster;
  }

  /**
   * A streaming replica of `primary` (pg_basebackup -R) on a free port of its own: a hot
   * standby that answers reads, refuses writes (25006) and says pg_is_in_recovery().
   */
  static async standbyOf(primary: PgCluster): Promise<PgCluster> {
    const bin = postgresBinaries();
    const folder = mkdtempSync(join(tmpdir(), 'tessera-pg-standby-'));
    if (asRoot()) {
      const owner = ownerOf('postgres');
      chownSync(folder, owner.uid, owner.gid);
    }
    const dataDir = join(folder, 'data');
    const cluster = new PgCluster(bin, folder, dataDir, await freePort());
    try {
      run(bin, 'pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', dataDir, '-R', '-X', 'stream', '--no-sync']);
      cluster.startServer();
    } catch (error) {
      rmSync(folder, { recursive: true, force: true });
      throw error;
    }
    return cluster;
  }

  /** pg_ctl start, waiting until it accepts connections. */
  startServer(): void {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.folder} -c fsync=off -c max_connections=100`;
    run(this.bin, 'pg_ctl', ['-D', this.dataDir, '-l', join(this.folder, 'log'), '-o', options, '-w', '-t', '30', 'start']);
  }

  /** pg_ctl stop: `fast` rolls back open transactions, `immediate` is a crash. */
  stopServer(mode: 'fast' | 'immediate' = 'fast'): void {
    run(this.bin, 'pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '30', 'stop']);
  }

  /** pg_ctl promote: a standby becomes a primary, as a failover does; waits until it is. */
  promote(): void {
    run(this.bin, 'pg_ctl', ['-D', this.dataDir, '-w', '-t', '30', 'promote']);
  }

  /**
   * Puts `line` first in pg_hba.conf and reloads: e.g. password authentication for one
   * role, where the rest of the cluster keeps trust.
   */
  async hbaFirst(line: string): Promise<void> {
    const file = join(this.dataDir, 'pg_hba.conf');
    writeFileSync(file, `${line}\n${readFileSync(file, 'utf8')}`);
    const admin = await this.client();
    try {
      await admin.query('SELECT pg_reload_conf()');
    } finally {
      await admin.end();
    }
  }

  /** A plain client on the cluster, for the test's own SQL (an admin connection). */
  async client(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  /** Stops the server (whatever its state) and removes the folder. */
  async destroy(): Promise<void> {
    spawnAs(this.bin, 'pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', '-t', '30', 'stop']);
    rmSync(this.folder, { recursive: true, force: true });
  }
}

/**
 * describe() for suites on a PgCluster. Without PostgreSQL binaries they fail with the
 * reason (PgCluster.start throws it) wherever a real Postgres is expected: on CI and
 * whenever DATABASE_URL is set. Only a machine on the embedded database and without
 * binaries reports them skipped.
 */
export const describeWithCluster: jest.Describe = describeNeeding(() => Boolean(findBinaries()));

/** describe() for suites that need more than a real Postgres: the same rule, with `present` for the rest. */
export function describeNeeding(present: () => boolean): jest.Describe {
  return (present() && findBinaries()) || process.env.CI || process.env.DATABASE_URL ? describe : describe.skip;
}

/** The PostgreSQL binaries: `pg_config --bindir`, else the newest /usr/lib/postgresql/<ver>/bin. */
export function postgresBinaries(): string {
  const found = findBinaries();
  if (!found) {
    throw new Error('no PostgreSQL server binaries (initdb, pg_ctl): install PostgreSQL 15 or put pg_config on PATH');
  }
  return found;
}

function findBinaries(): string | undefined {
  const candidates: string[] = [];
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (config.status === 0) candidates.push(config.stdout.trim());
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => join(root, version, 'bin')));
  }
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

export function asRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function ownerOf(user: string): { uid: number; gid: number } {
  const id = (flag: string) => {
    const result = spawnSync('id', [flag, user], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`initdb refuses to run as root, and there is no OS user ${user} to run it as`);
    return Number(result.stdout.trim());
  };
  return { uid: id('-u'), gid: id('-g') };
}

function spawnAs(bin: string, tool: string, args: string[]) {
  const command = join(bin, tool);
  // pg_ctl start leaves the postmaster running: its output must not hold our pipes open.
  const options = { encoding: 'utf8' as const, stdio: ['ignore', 'ignore', 'pipe'] as ['ignore', 'ignore', 'pipe'], timeout: 60_000 };
  return asRoot() ? spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], options) : spawnSync(command, args, options);
}

function run(bin: string, tool: string, args: string[]): void {
  const result = spawnAs(bin, tool, args);
  if (result.status !== 0) throw new Error(`${tool} failed (${result.status ?? result.signal}): ${result.stderr?.trim() ?? result.error}`);
}

/** `postgres://postgres@127.0.0.1:<p1>,127.0.0.1:<p2>/postgres`: a multi-host URL, tried in this order. */
export function multiHostUrl(...servers: ReadonlyArray<{ readonly port: number }>): string {
  return `postgres://postgres@${servers.map(({ port }) => `127.0.0.1:${port}`).join(',')}/postgres`;
}

/** Advisory locks held on the server `admin` is connected to: one left held blocks every later migrate. */
export async function advisoryLocks(admin: pg.Client): Promise<number> {
  return (await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`)).rows[0].n;
}

/** The cluster's `postgres` database with Tessera's migrations applied, as a TestDatabase. */
export async function clusterDatabase(cluster: PgCluster, poolSize = 10): Promise<TestDatabase> {
  const dataSource = createDataSource(cluster.url, poolSize, { prepare: true });
  await dataSource.initialize();
  await migrate(dataSource);
  return {
    url: cluster.url,
    dataSource,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  };
}
