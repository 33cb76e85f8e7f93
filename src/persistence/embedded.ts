import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

export interface EmbeddedDatabase {
  /** a postgres:// URL on a loopback port, for the same pg driver a real server uses */
  readonly url: string;
  /** false when another process owns the data directory and this one is its client */
  readonly owner: boolean;
  close(): Promise<void>;
}

const OWNER_FILE = 'pglite.json';
const LOCK_FILE = 'pglite.lock';
const WAIT_FOR_OWNER_MS = 30_000;

/**
 * PGlite (Postgres compiled to WASM) behind its wire-protocol socket server, so the
 * embedded default runs the same driver, migrations and SQL as a real Postgres.
 * `dataDir` undefined keeps everything in memory (tests).
 *
 * PGlite is single-process: when a running Tessera already serves this data directory
 * (the CLI next to `npm start`), connect to its socket instead of opening the files twice.
 */
export async function startEmbeddedDatabase(dataDir?: string): Promise<EmbeddedDatabase> {
  if (!dataDir) return serve(undefined);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
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

async function serve(dataDir: string | undefined): Promise<EmbeddedDatabase> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create(dataDir ? { dataDir: join(dataDir, 'pgdata') } : {});
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 64 });
  await server.start();
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  if (dataDir) writeFileSync(join(dataDir, OWNER_FILE), JSON.stringify({ pid: process.pid, url }), { mode: 0o600 });
  return {
    url,
    owner: true,
    async close() {
      await server.stop();
      await db.close();
      if (dataDir) {
        rmSync(join(dataDir, OWNER_FILE), { force: true });
        rmSync(join(dataDir, LOCK_FILE), { force: true });
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
  let owner: { pid?: unknown; url?: unknown };
  try {
    owner = JSON.parse(readFileSync(join(dataDir, OWNER_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof owner.pid !== 'number' || typeof owner.url !== 'string' || owner.pid === process.pid) return undefined;
  if (!alive(owner.pid)) return undefined;
  const { hostname, port } = new URL(owner.url);
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
  return reachable ? owner.url : undefined;
}
