import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'python-clients');

/**
 * Debian's own interpreter: the Debian python3-* packages are built for it, whereas the
 * python3 on PATH may be another one (pyenv, a venv) without them.
 */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export interface PythonEnvironment {
  readonly python: string;
  /** environment for the interpreter: the unpacked packages first on its path */
  readonly env: NodeJS.ProcessEnv;
  /** the Debian packages unpacked for it (those the system lacked) */
  readonly unpacked: readonly string[];
}

/**
 * Debian packages (and what they need) unpacked for Debian's python3 without installing
 * anything system-wide: `apt-get download` + `dpkg -x` into node_modules/.cache, as
 * scripts/check-deploy.mjs does for promtool. Only packages the system lacks are unpacked;
 * the installed ones are already on Debian's python path. Throws with what failed.
 */
export async function debianPython(packages: readonly string[]): Promise<PythonEnvironment> {
  if (!existsSync(DEBIAN_PYTHON)) throw new Error(`${DEBIAN_PYTHON} is missing: install Debian's python3 package`);
  const key = [...packages].sort().join(' ');
  const target = join(CACHE, key.replace(/[^a-z0-9.-]+/gi, '_'));
  const marker = join(target, 'packages.json');
  if (!existsSync(marker)) await unpack(packages, target);
  const unpacked = JSON.parse(readFileSync(marker, 'utf8')) as string[];
  const sitePackages = join(target, 'root', 'usr', 'lib', 'python3', 'dist-packages');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    PYTHONPATH: sitePackages,
    // Only Debian's site and ours: nothing from the user's site-packages or a pyenv.
    PYTHONNOUSERSITE: '1',
    PYTHONDONTWRITEBYTECODE: '1',
  };
  return { python: DEBIAN_PYTHON, env, unpacked };
}

async function unpack(packages: readonly string[], target: string): Promise<void> {
  const names = await closure(packages);
  mkdirSync(CACHE, { recursive: true });
  const work = mkdtempSync(join(CACHE, 'unpacking-'));
  try {
    if (names.length > 0) {
      await aptGet(['download', '-qq', ...names], work);
      const debs = readdirSync(work).filter((name) => name.endsWith('.deb'));
      if (debs.length !== names.length) throw new Error(`apt-get download gave ${debs.length} packages for ${names.length}: ${debs.join(', ')}`);
      for (const deb of debs) await run('dpkg-deb', ['-x', join(work, deb), join(work, 'root')]);
    }
    writeFileSync(join(work, 'packages.json'), JSON.stringify(names));
    // Renamed into place only when complete: an interrupted run leaves no half cache.
    rmSync(target, { recursive: true, force: true });
    renameSync(work, target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** apt-get, with one `apt-get update` and a retry when the package lists are missing or stale. */
async function aptGet(args: string[], cwd?: string): Promise<void> {
  try {
    await run('apt-get', args, { cwd });
  } catch {
    await run('apt-get', ['update', '-qq']).catch((error: Error) => {
      throw new Error(`apt-get update failed (root is needed to refresh the package lists): ${error.message}`);
    });
    await run('apt-get', args, { cwd });
  }
}

async function installed(name: string): Promise<boolean> {
  const result = await run('dpkg-query', ['-W', '-f=${Status}', name]).catch(() => undefined);
  return result?.stdout.trim() === 'install ok installed';
}

/** Depends of a package, as groups of alternatives (`A | B`), virtual names left out. */
async function depends(name: string): Promise<string[][]> {
  const args = ['depends', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', name];
  let result = await run('apt-cache', args).catch(() => undefined);
  if (result === undefined) {
    await aptGet(['update', '-qq']);
    result = await run('apt-cache', args);
  }
  const groups: string[][] = [];
  let open = false;
  for (const line of result.stdout.split('\n')) {
    const match = /^\s+(\|)?(?:Pre)?Depends: (\S+)/.exec(line);
    if (!match) continue;
    if (!open) groups.push([]);
    if (!match[2].startsWith('<')) groups[groups.length - 1].push(match[2]);
    open = match[1] === '|';
  }
  return groups.filter((group) => group.length > 0);
}

/**
 * The packages to unpack: `packages` and their dependencies, stopping at what is already
 * installed; of alternatives, none when one is installed, else the first.
 */
async function closure(packages: readonly string[]): Promise<string[]> {
  const wanted = new Set<string>();
  const queue = [...packages];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (wanted.has(name) || (await installed(name))) continue;
    wanted.add(name);
    for (const group of await depends(name)) {
      const present = await Promise.all(group.map(installed));
      if (!present.includes(true)) queue.push(group[0]);
    }
  }
  return [...wanted].sort();
}
