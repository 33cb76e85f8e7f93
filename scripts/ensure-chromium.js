#!/usr/bin/env node
// The browser tests drive the system's Chromium through playwright-core, never a downloaded
// build. `npm test` runs this first: when no Chromium is installed it installs Debian's
// package (saying so), and when it cannot, it stops with the one command that would.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NAMES = ['chromium', 'chromium-browser'];
const FALLBACK = '/usr/bin/chromium';

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Chromium the browser tests would use, or undefined. Same search as test/setup/chromium.ts. */
export function findChromium(env = process.env) {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of NAMES) if (executable(join(dir, name))) return join(dir, name);
  }
  return executable(FALLBACK) ? FALLBACK : undefined;
}

function run(command, args) {
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return result.status === 0;
}

function install() {
  const canApt = typeof process.getuid === 'function' && process.getuid() === 0 && executable('/usr/bin/apt-get');
  if (!canApt) return false;
  process.stderr.write('npm test: no Chromium found; installing Debian\'s chromium package for the browser tests (apt-get)…\n');
  return run('apt-get', ['update', '-qq']) && run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium']);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!findChromium() && !(install() && findChromium())) {
    process.stderr.write(
      'npm test: the browser tests need Chromium and none is installed; install it with\n' +
        '  sudo apt-get install -y chromium     (Debian/Ubuntu; or put a chromium binary on PATH)\n',
    );
    process.exit(1);
  }
}
