// Child processes of the benchmark: servers pinned to a core, their RSS and CPU time.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The repository root: every child runs from here. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The core each server is pinned to, and the core of the load generator (this process). */
export const SERVER_CORE = '0';
export const LOAD_CORE = '1';

let tasksetAvailable;

/** True when util-linux taskset runs here and the machine has at least two cores. */
export function canPin() {
  if (tasksetAvailable === undefined) {
    const probe = spawnSync('taskset', ['-c', SERVER_CORE, 'true'], { stdio: 'ignore' });
    tasksetAvailable = probe.status === 0 && cpus().length >= 2;
  }
  return tasksetAvailable;
}

/**
 * A server child: `node <args…>` pinned to SERVER_CORE when `pinned`, else free to run on
 * every core (this process may itself be pinned, and children inherit that), its stdout and
 * stderr collected.
 */
export class Server {
  /** Every server started and not yet exited, for the cleanup of an interrupted run. */
  static live = new Set();

  static stopAll() {
    return Promise.all([...Server.live].map((server) => server.stop().catch(() => undefined)));
  }

  constructor(name, args, env, { pinned }) {
    this.name = name;
    this.out = '';
    this.err = '';
    const cores = pinned ? SERVER_CORE : canPin() ? `0-${cpus().length - 1}` : undefined;
    const command = cores ? 'taskset' : process.execPath;
    const argv = cores ? ['-c', cores, process.execPath, ...args] : args;
    this.child = spawn(command, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8').on('data', (chunk) => (this.out += chunk));
    this.child.stderr.setEncoding('utf8').on('data', (chunk) => (this.err += chunk));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.running = true;
    Server.live.add(this);
    this.exited.then(({ code, signal }) => {
      this.running = false;
      Server.live.delete(this);
      if (!this.stopping) {
        process.stderr.write(`bench: ${this.name} (pid ${this.pid}) exited on its own (${signal ?? `code ${code}`}): ${this.err.trim().slice(-2000)}\n`);
      }
    });
  }

  /** Throws, with the end of its stderr, when the server is no longer running. */
  assertRunning() {
    if (!this.running) throw new Error(`${this.name} is no longer running: ${this.err.trim().slice(-2000)}`);
  }

  get pid() {
    return this.child.pid;
  }

  /** The URL from the "listening on <url>" line; fails if the child exits or takes longer than `timeoutMs`. */
  async listening(timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = /listening on (http:\/\/[^\s)]+)/.exec(this.out);
      if (match) return match[1].replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
      if (!this.running) throw new Error(`${this.name} exited before listening: ${this.err.trim().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not listen within ${timeoutMs} ms: ${this.err.trim().slice(-2000)}`);
      await sleep(50);
    }
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the process is gone. */
  async stop(timeoutMs = 15_000) {
    this.stopping = true;
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** The pids of this server and every process below it (cluster workers). */
  tree() {
    return [this.pid, ...descendants(this.pid)];
  }
}

function descendants(pid) {
  let children;
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

/** Resident set size in bytes (0 when the process is gone or /proc is not there). */
export function rssBytes(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const TICKS_PER_SECOND = 100;

/** User plus system CPU time of a process, in seconds (0 when unknown). */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces or parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** The backends of the Postgres database `name` (their command lines name it). */
export function postgresBackends(name) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(` ${name} `)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * Samples the summed RSS of `pids()` every `everyMs` while a load runs, and their CPU time
 * at start and end: peak RSS in bytes, and the CPU they used as a share of one core; the
 * same share for `dbPids()`, the database backends serving them, when given. Backends come
 * and go during a run (a pool replaces a connection): each one's CPU time is sampled every
 * second too, so one that exits counts with its last reading, and one that starts counts
 * from zero, instead of a difference of two sums over different processes.
 */
export function watch(pids, everyMs = 100, dbPids = undefined) {
  const started = performance.now();
  const cpuAt = () => pids().reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const cpuStart = cpuAt();
  /** backend pid → its CPU seconds when first seen (0 for one started during the run) and at its last reading */
  const backends = new Map();
  const sampleBackends = (first) => {
    for (const pid of dbPids?.() ?? []) {
      const now = cpuSeconds(pid);
      const known = backends.get(pid);
      if (known) known.last = Math.max(known.last, now);
      else backends.set(pid, { first: first ? now : 0, last: now });
    }
  };
  sampleBackends(true);
  let peak = 0;
  let ticks = 0;
  const sampleRss = () => {
    peak = Math.max(peak, pids().reduce((sum, pid) => sum + rssBytes(pid), 0));
  };
  const sample = () => {
    sampleRss();
    if (dbPids && ++ticks % Math.max(1, Math.round(1_000 / everyMs)) === 0) sampleBackends(false);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sampleRss();
      sampleBackends(false);
      const seconds = (performance.now() - started) / 1000;
      const share = (used) => (seconds > 0 ? used / seconds : 0);
      const dbUsed = [...backends.values()].reduce((sum, { first, last }) => sum + (last - first), 0);
      return {
        peakRssBytes: peak,
        cpuCores: share(cpuAt() - cpuStart),
        ...(dbPids ? { dbCpuCores: share(dbUsed) } : {}),
      };
    },
  };
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until `pids()` use less than `idleShare` of a core over `windowMs` (work left over
 * from the previous run, such as logins still hashing, must not land in the next), at most
 * `maxMs`. Returns the milliseconds waited.
 */
export async function settle(pids, { idleShare = 0.05, windowMs = 250, maxMs = 20_000 } = {}) {
  const started = performance.now();
  const cpu = () => pids().reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  for (;;) {
    const before = cpu();
    await sleep(windowMs);
    if (cpu() - before < (idleShare * windowMs) / 1000 || performance.now() - started > maxMs) {
      return Math.round(performance.now() - started);
    }
  }
}
