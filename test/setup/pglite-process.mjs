// One in-memory PGlite, loaded from a template dump, behind its wire-protocol socket on a
// loopback port: prints the connection URL, and exits when its parent closes stdin or dies.
// A process of its own, because a closed PGlite does not hand its WebAssembly memory back:
// in the jest worker every test database would stay resident until the worker ends.
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const [template] = process.argv.slice(2);
const db = await PGlite.create({
  loadDataDir: new Blob([readFileSync(template)]),
  // Test databases are small: a few MB of buffers instead of 128 keeps each process near 270 MB.
  postgresqlconf: ['shared_buffers=8MB', 'work_mem=1MB'],
});
const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 64 });
await server.start();
process.stdout.write(`postgres://postgres@${server.getServerConn()}/postgres\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
