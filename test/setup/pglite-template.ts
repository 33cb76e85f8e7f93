import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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
 * An in-memory PGlite behind its wire-protocol socket, in a process of its own
 * (test/setup/pglite-process.mjs), started from a data directory made once and cached on
 * disk: booting PGlite from scratch (initdb) and running the migrations costs seconds per
 * test file, loading a dump of the result well under one. Closing it ends the process,
 * which is what gives its memory back. `migrated` false gives a freshly initialised, empty
 * database (the migration tests).
 */
export async function startFromTemplate(migrated: boolean): Promise<EmbeddedTestServer> {
  const child = spawn(process.execPath, [join(ROOT, 'test', 'setup', 'pglite-process.mjs'), await templateFile(migrated)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('\n')) resolve(output.trim());
    });
    child.once('exit', (code) => reject(new Error(`the PGlite process exited (${code}) before it served`)));
  });
  return {
    url,
    async close() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The dump for this PGlite release and these migrations, made by the first test file that needs it. */
async function templateFile(migrated: boolean): Promise<string> {
  const path = join(CACHE, `pglite-${key(migrated)}.tar`);
  if (existsSync(path)) return path;
  // Made here once per key; two workers may both make it at first: the same dump, renamed atomically.
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
  return path;
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
