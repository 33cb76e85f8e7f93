import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv, runNode, startNode } from '../setup/processes.js';

// Opens the embedded database in the given directory, says whether it owns it, and
// keeps it open until its standard input closes.
const OPEN = `
  const { startEmbeddedDatabase } = await import('./dist/src/persistence/embedded.js');
  const db = await startEmbeddedDatabase(process.argv[1]);
  console.log(JSON.stringify({ owner: db.owner, url: db.url }));
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await db.close();
`;

/** PGlite must never have its files opened by two processes: the second one connects to the first. */
describe('embedded database ownership', () => {
  let dir: string;
  beforeAll(async () => {
    expect((await runNode(['scripts/build-if-needed.js'], childEnv())).code).toBe(0);
    dir = mkdtempSync(join(tmpdir(), 'tessera-embedded-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('two processes starting at once on one data directory: one owns it, the other connects to it', async () => {
    const children = [0, 1].map(() => startNode(['--input-type=module', '-e', OPEN, dir], childEnv()));
    try {
      const opened = await Promise.all(
        children.map((child) => child.waitFor((out) => (out.includes('}') ? (JSON.parse(out.trim().split('\n')[0]) as { owner: boolean; url: string }) : undefined), 'an open', 60_000)),
      );
      expect(opened.map((o) => o.owner).sort()).toEqual([false, true]);
      expect(opened[0].url).toBe(opened[1].url);
      const finished = await Promise.all(children.map((child) => child.finish(30_000)));
      expect(finished.map((f) => f.code)).toEqual([0, 0]);
    } finally {
      await Promise.all(children.map((child) => child.kill()));
    }
  });
});
