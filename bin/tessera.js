#!/usr/bin/env node
// The `tessera` command: builds on first use, then runs the compiled CLI.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (existsSync(join(root, 'scripts', 'build-if-needed.js')) && existsSync(join(root, 'src'))) {
  const { buildIfNeeded } = await import(pathToFileURL(join(root, 'scripts', 'build-if-needed.js')).href);
  buildIfNeeded();
}
await import(pathToFileURL(join(root, 'dist', 'src', 'cli', 'main.js')).href);
