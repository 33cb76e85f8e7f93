import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * PGlite (Postgres compiled to WASM) behind its wire-protocol socket server, so the
 * embedded default runs the same driver, migrations and SQL as a real Postgres.
 * `dataDir` undefined keeps everything in memory (tests).
 *
 * PGlite is single-process: when a running Tessera already serves this data directory
 * (the CLI next to `npm start`), connect to its socket instead of opening the files twice.
 */
export async function startEmbeddedDatabase(dataDir?: string): Promise<EmbeddedDatabase> {
  if (dataDir) {
    const running = await runningOwner(dataDir);
    if (running) return { url: running, owner: false, close: async () => undefined };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  if (dataDir) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = await PGlite.create(dataDir ? { dataDir: join(dataDir, 'pgdata') } : {});
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 64 });
  await server.start();
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  if (dataDir) writeFileSync(join(dataDir, OWNER_FILE), JSON.stringify({ pid: process.pid, url }), { mode: 0o600 });
  return {
    url,
    owner: true,
    async close() {
      if (dataDir) rmSync(join(dataDir, OWNER_FILE), { force: true });
      await server.stop();
      await db.close();
    },
  };
}

async function runningOwner(dataDir: string): Promise<string | undefined> {
  let owner: { pid?: unknown; url?: unknown };
  try {
    owner = JSON.parse(readFileSync(join(dataDir, OWNER_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof owner.pid !== 'number' || typeof owner.url !== 'string' || owner.pid === process.pid) return undefined;
  try {
    process.kill(owner.pid, 0);
  } catch {
    return undefined;
  }
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
