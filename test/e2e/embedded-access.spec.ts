import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedDatabase } from '../../src/persistence/embedded.js';
import { type Child, childEnv, runNode, startNode } from '../setup/processes.js';

// Serves the embedded database of the given directory until SIGTERM.
const SERVE = `
  const { startEmbeddedDatabase } = await import('./dist/src/persistence/embedded.js');
  const db = await startEmbeddedDatabase(process.argv[1]);
  console.log(JSON.stringify({ url: db.url }));
  const keepAlive = setInterval(() => undefined, 1000);
  process.once('SIGTERM', async () => { clearInterval(keepAlive); await db.close(); process.exit(0); });
`;

const SOCKET = '.s.PGSQL.5432';

/** What a connection to the Unix socket at `path` gets when made by another local user. */
function connectAsNobody(path: string): string {
  const probe = `require('node:net').connect({ path: ${JSON.stringify(path)} })
    .on('connect', () => { console.log('connected'); process.exit(0); })
    .on('error', (error) => { console.log(error.code); process.exit(0); });`;
  // The node running the tests may sit where nobody cannot execute it (npx's cache under
  // /root, as CI's Node 22 and 24 runs do): the probe runs a copy nobody can reach.
  const bin = mkdtempSync(join(tmpdir(), 'tessera-node-'));
  try {
    chmodSync(bin, 0o755);
    const node = join(bin, 'node');
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
    const result = spawnSync(node, ['-e', probe], { uid: 65534, gid: 65534, cwd: '/', encoding: 'utf8', timeout: 20_000 });
    return `${result.stdout}`.trim() || `exit ${result.status}: ${result.stderr}`;
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

/** TCP ports in LISTEN state that belong to process `pid` (Linux /proc). */
function tcpListeners(pid: number): string[] {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`)
      .map((fd) => {
        try {
          return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        } catch {
          return undefined;
        }
      })
      .filter((inode): inode is string => inode !== undefined),
  );
  return ['/proc/net/tcp', '/proc/net/tcp6']
    .filter((table) => existsSync(table))
    .flatMap((table) => readFileSync(table, 'utf8').split('\n').slice(1))
    .map((line) => line.trim().split(/\s+/))
    .filter((columns) => columns[3] === '0A' && inodes.has(columns[9]))
    .map((columns) => columns[1]);
}

async function query(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ user: string }>('SELECT current_user AS user')).rows[0].user;
  } finally {
    await client.end();
  }
}

/**
 * PGlite has no passwords: whoever reaches its socket is its superuser. The embedded
 * database must therefore be reachable only through its data directory.
 */
describe('embedded database access', () => {
  let root: string;
  let server: Child | undefined;
  beforeAll(async () => {
    expect((await runNode(['scripts/build-if-needed.js'], childEnv())).code).toBe(0);
    root = mkdtempSync(join(tmpdir(), 'tessera-access-'));
  }, 180_000);
  afterAll(async () => {
    await server?.kill();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves a data directory only on a Unix socket inside it, which only its owner can reach', async () => {
    const dir = join(root, 'data');
    mkdirSync(dir, { mode: 0o755 });
    server = startNode(['--input-type=module', '-e', SERVE, dir], childEnv());
    const { url } = await server.waitFor((out) => (out.includes('}') ? (JSON.parse(out.trim().split('\n')[0]) as { url: string }) : undefined), 'the database');

    // The URL names the data directory as the socket's directory: no host, no port.
    expect(decodeURIComponent(new URL(url).hostname)).toBe(dir);
    const socket = statSync(join(dir, SOCKET));
    expect(socket.isSocket()).toBe(true);
    expect(socket.mode & 0o077).toBe(0);
    // A directory that existed with wider permissions is narrowed: it is the unit of trust.
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(join(dir, 'pglite.json'), 'utf8'))).toMatchObject({ url, socket: join(dir, SOCKET) });

    expect(await query(url)).toBe('postgres');
    if (process.platform === 'linux') expect(tcpListeners(server.child.pid!)).toEqual([]);
    // Another local user cannot enter the directory, so cannot connect, even knowing the path.
    // (Only root can run a process as another user; without root the modes above are the proof.)
    if (process.getuid?.() === 0) expect(connectAsNobody(join(dir, SOCKET))).toBe('EACCES');

    expect((await server.stop('SIGTERM')).code).toBe(0);
    expect(existsSync(join(dir, SOCKET))).toBe(false);
  }, 120_000);

  it('gives an in-memory database a private socket directory of its own, removed on close', async () => {
    const db = await startEmbeddedDatabase();
    const dir = decodeURIComponent(new URL(db.url).hostname);
    try {
      expect(dir.startsWith(tmpdir())).toBe(true);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(await query(db.url)).toBe('postgres');
      if (process.getuid?.() === 0) expect(connectAsNobody(join(dir, SOCKET))).toBe('EACCES');
    } finally {
      await db.close();
    }
    expect(existsSync(dir)).toBe(false);
  }, 120_000);

  it('refuses a data directory whose path is too long for a socket, with one line', async () => {
    const dir = join(root, 'x'.repeat(100));
    await expect(startEmbeddedDatabase(dir)).rejects.toThrow(/too long for the embedded database's socket: set TESSERA_DATA_DIR/);
  });
});
