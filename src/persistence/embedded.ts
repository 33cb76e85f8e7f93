import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EmbeddedDatabase {
  /** a postgres:// URL naming the Unix socket's directory, for the same pg driver a real server uses */
  readonly url: string;
  /** false when another process owns the data directory and this one is its client */
  readonly owner: boolean;
  close(): Promise<void>;
}

const OWNER_FILE = 'pglite.json';
const LOCK_FILE = 'pglite.lock';
const WAIT_FOR_OWNER_MS = 30_000;
// libpq's (and pg's) name for a server's socket in a directory: <dir>/.s.PGSQL.<port>.
const SOCKET_PORT = 5432;
const SOCKET_FILE = `.s.PGSQL.${SOCKET_PORT}`;
// sun_path holds 104 bytes on macOS, 108 on Linux, the terminating NUL included.
const MAX_SOCKET_PATH = 103;

/**
 * PGlite (Postgres compiled to WASM) behind its wire-protocol socket server, so the
 * embedded default runs the same driver, migrations and SQL as a real Postgres.
 * `dataDir` undefined keeps everything in memory (tests).
 *
 * PGlite has no authentication: whoever reaches its socket is the superuser. So the
 * socket is a Unix socket inside the data directory (mode 0700, like secrets.json
 * beside it): only the user who owns the data can connect. Never a TCP port.
 *
 * PGlite is single-process: when a running Tessera already serves this data directory
 * (the CLI next to `npm start`), connect to its socket instead of opening the files twice.
 */
export async function startEmbeddedDatabase(dataDir?: string): Promise<EmbeddedDatabase> {
  if (!dataDir) return serve(undefined);
  privateDirectory(dataDir);
  const deadline = Date.now() + WAIT_FOR_OWNER_MS;
  for (;;) {
    const running = await runningOwner(dataDir);
    if (running) return { url: running, owner: false, close: async () => undefined };
    const holder = lock(dataDir);
    if (holder === undefined) {
      try {
        return await serve(dataDir);
      } catch (error) {
        rmSync(join(dataDir, LOCK_FILE), { force: true });
        throw error;
      }
    }
    // Another process holds the lock and is still starting PGlite: wait for its socket.
    if (Date.now() > deadline) throw new Error(`the embedded database in ${dataDir} is in use by process ${holder}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The data directory, created or narrowed to mode 0700: it is what grants access to the database. */
function privateDirectory(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if ((statSync(dataDir).mode & 0o077) !== 0) chmodSync(dataDir, 0o700);
}

/** The URL pg reads as "the server whose socket is in `directory`" (pg-connection-string decodes the host). */
export function socketUrl(directory: string): string {
  return `postgres://postgres@${encodeURIComponent(directory)}:${SOCKET_PORT}/postgres`;
}

async function serve(dataDir: string | undefined): Promise<EmbeddedDatabase> {
  // In memory (tests), the socket gets a private directory of its own, removed on close.
  const socketDir = dataDir ?? mkdtempSync(join(tmpdir(), 'tessera-pglite-'));
  const socket = join(socketDir, SOCKET_FILE);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    throw new Error(`the path of the data directory ${socketDir} is too long for the embedded database's socket: set TESSERA_DATA_DIR to a shorter one`);
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create(dataDir ? { dataDir: join(dataDir, 'pgdata') } : {});
  const server = new PGLiteSocketServer({ db, path: socket, maxConnections: 64 });
  try {
    // Left by an owner that died: we hold the lock, so nobody else serves this directory.
    rmSync(socket, { force: true });
    await server.start();
    chmodSync(socket, 0o600);
  } catch (error) {
    await db.close();
    if (!dataDir) rmSync(socketDir, { recursive: true, force: true });
    throw error;
  }
  const url = socketUrl(socketDir);
  if (dataDir) writeFileSync(join(dataDir, OWNER_FILE), JSON.stringify({ pid: process.pid, url, socket }), { mode: 0o600 });
  return {
    url,
    owner: true,
    async close() {
      await server.stop();
      await db.close();
      if (dataDir) {
        rmSync(socket, { force: true });
        rmSync(join(dataDir, OWNER_FILE), { force: true });
        rmSync(join(dataDir, LOCK_FILE), { force: true });
      } else {
        rmSync(socketDir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Takes the data directory's lock before PGlite opens its files, so two processes never
 * open them at once. Returns undefined when taken, else the pid of the live holder; a lock
 * left by a dead process is removed.
 */
function lock(dataDir: string): number | undefined {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) return holder;
    rmSync(path, { force: true });
  }
  throw new Error(`cannot take the lock ${LOCK_FILE} in ${dataDir}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function runningOwner(dataDir: string): Promise<string | undefined> {
  let owner: { pid?: unknown; url?: unknown; socket?: unknown };
  try {
    owner = JSON.parse(readFileSync(join(dataDir, OWNER_FILE), 'utf8')) as typeof owner;
  } catch {
    return undefined;
  }
  const { pid, url, socket: path } = owner;
  if (typeof pid !== 'number' || typeof url !== 'string' || typeof path !== 'string' || pid === process.pid) return undefined;
  if (!alive(pid)) return undefined;
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = connect({ path }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
  return reachable ? url : undefined;
}
