import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createDataSource, migrate } from '../../src/persistence/data-source.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CACHE = join(ROOT, 'node_modules', '.cache', 'tessera-tests');

export interface EmbeddedTestServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * An in-memory PGlite behind its wire-protocol socket, started from a data directory made
 * once and cached on disk: booting PGlite from scratch (initdb) and running the migrations
 * costs seconds per test file, loading a dump of the result well under one.
 * `migrated` false gives a freshly initialised, empty database (the migration tests).
 */
export async function startFromTemplate(migrated: boolean): Promise<EmbeddedTestServer> {
  const db = await PGlite.create({ loadDataDir: new Blob([await template(migrated)]) });
  return serve(db);
}

async function serve(db: PGlite): Promise<EmbeddedTestServer> {
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 64 });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}

/** The dump for this PGlite release and these migrations, made by the first test file that needs it. */
async function template(migrated: boolean): Promise<Buffer> {
  const path = join(CACHE, `pglite-${key(migrated)}.tar`);
  try {
    return readFileSync(path);
  } catch {
    // not made yet (or by another worker right now: both write the same dump, the rename is atomic)
  }
  const db = await PGlite.create({});
  if (migrated) {
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
    await server.start();
    const dataSource = createDataSource(`postgres://postgres@${server.getServerConn()}/postgres`, 1, { prepare: false });
    await dataSource.initialize();
    await migrate(dataSource);
    await dataSource.destroy();
    await server.stop();
  }
  const dump = Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer());
  await db.close();
  mkdirSync(CACHE, { recursive: true });
  const partial = `${path}.${process.pid}`;
  writeFileSync(partial, dump);
  renameSync(partial, path);
  return dump;
}

function key(migrated: boolean): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json')));
  if (migrated) {
    const dir = join(ROOT, 'migrations');
    for (const name of readdirSync(dir).sort()) hash.update(name).update(readFileSync(join(dir, name)));
  }
  return `${migrated ? 'migrated' : 'empty'}-${hash.digest('hex').slice(0, 16)}`;
}
