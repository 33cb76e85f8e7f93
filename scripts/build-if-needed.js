#!/usr/bin/env node
// Compiles src/ and migrations/ into dist/ with swc when any source is newer than the
// last build, so `npm start` and `npx tessera` work straight after `npm install`.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.built');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

export function buildIfNeeded() {
  const sources = Math.max(newest(join(root, 'src')), newest(join(root, 'migrations')), statSync(join(root, '.swcrc')).mtimeMs);
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= sources) return;
  const swc = join(root, 'node_modules', '.bin', 'swc');
  if (!existsSync(swc)) {
    process.stderr.write('tessera: dist/ is missing or stale and swc is not installed; run `npm install` first\n');
    process.exit(1);
  }
  // Loaded only to build: `tessera --help` runs this check on every call and must stay quick.
  const { spawnSync } = process.getBuiltinModule('node:child_process');
  const result = spawnSync(swc, ['src', 'migrations', '-d', 'dist', '--config-file', '.swcrc', '--quiet'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  writeFileSync(stamp, new Date().toISOString());
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildIfNeeded();
