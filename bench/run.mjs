#!/usr/bin/env node
// npm run bench [-- --quick] [-- --only <id,…>] [-- --out <file.json>] [-- --mass-logout-families <n>]
//
// Tessera (on Postgres), oidc-provider in memory and on Redis (REDIS_URL; skipped when Redis
// does not answer) and a bare Fastify route, in one run on one machine: each server pinned to
// core 0, this process (autocannon) to core 1. Prints one table per connection count and the
// verdicts against the issue's figures; writes the same as JSON to bench/results/<date>.json
// (<date>.quick.json with --quick). --only runs the scenarios named by id (and the phases
// `signals`, `backchannel`) and no others, Tessera and the peers still side by side: to
// measure again what a change touched. The phase `mass_logout` (bench/mass-logout.mjs) runs
// only when named by --only; without scenarios, the servers of the table are not started.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { startCeiling } from './ceiling.mjs';
import { measure } from './load.mjs';
import { openLoop } from './open-loop.mjs';
import { startPeer } from './peer.mjs';
import { canPin, LOAD_CORE, ROOT, Server, settle } from './processes.mjs';
import { backchannelText, massLogoutText, measured, multicoreTable, openLoopText, peerRedisText, signalsText, table, verdicts, verdictText, verifyRateText } from './report.mjs';
import { DEFAULT_REDIS_URL, openRedisPrefix } from './redis.mjs';
import { preparePools, SCENARIOS as ALL_SCENARIOS } from './scenarios.mjs';
import { measureSignals } from './signals.mjs';
import { measureBackchannel } from './backchannel.mjs';
import { measureMassLogout } from './mass-logout.mjs';
import { createDatabase, DEFAULT_ADMIN_URL, startTessera } from './tessera.mjs';
import { measureVerifyRate } from './verify-rate.mjs';

const CACHE_SIZE = 10_000;

const MODES = {
  full: {
    warmupSeconds: 2,
    seconds: 10,
    connections: [32, 128],
    users: 4,
    // Refresh chains: one per connection of each refresh run (plain and DPoP), its warm-up and
    // its measurement, and 32 for the open-loop refresh run.
    // Codes: minted before each redemption run. They live 60 s (Tessera's and the peer's), so
    // minting them and redeeming them must both fit in a minute: minting stops after 40 s
    // (about 24,000 codes at 600/s on a slow 2-core machine, 12 s at 2,000/s), and 50,000 is
    // 12 s of warm-up and measurement at 4,100/s on a fast one.
    // Revocable: minted before each revocation run, 12 s of warm-up and measurement at 6,600/s
    // (64,000 ran out under Tessera's refresh-token revocation @128, at 5,500/s).
    pools: { chains: 4 * (32 + 128) + 32, userTokens: 1_000, distinct: 3 * CACHE_SIZE, revocable: 80_000, codes: 50_000, codeMintSeconds: 40 },
    // Revocation signals (bench/signals.mjs): sessions ended one at a time under load.
    signals: { revocations: 200, introspectRevocations: 50, offlineRevocations: 20, offlineWindowMs: 1_000, batch: 50, loadConnections: 32, connections: [32, 128] },
    // Back-channel logouts owed to an endpoint that never answers, while introspection is measured.
    backchannel: { queued: 1_000 },
  },
  // A smoke run of about a minute: the same scenarios and table, no warm-up, 1 s each, small
  // pools (the distinct-token pool fits in the verified-token cache: not a measurement).
  quick: {
    warmupSeconds: 0,
    seconds: 1,
    connections: [32, 128],
    users: 1,
    pools: { chains: 2 * (32 + 128) + 32, userTokens: 128, distinct: 3_000, revocable: 3_000, codes: 6_000, codeMintSeconds: 10 },
    signals: { revocations: 10, introspectRevocations: 3, offlineRevocations: 2, offlineWindowMs: 200, batch: 10, loadConnections: 8, connections: [32] },
    backchannel: { queued: 100 },
  },
};

function parseArgs(argv) {
  const args = { quick: false, multicore: false, out: undefined, only: undefined, massLogoutFamilies: 1_000_000 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') args.quick = true;
    else if (argv[i] === '--multicore') args.multicore = true;
    else if (argv[i] === '--out') args.out = argv[++i];
    else if (argv[i] === '--only') args.only = new Set(argv[++i].split(','));
    else if (argv[i] === '--mass-logout-families') args.massLogoutFamilies = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]} (expected --quick, --multicore, --only <id,…>, --out <file.json>, --mass-logout-families <n>)`);
  }
  if (!Number.isInteger(args.massLogoutFamilies) || args.massLogoutFamilies < 1) throw new Error('--mass-logout-families takes a positive integer');
  return args;
}

const began = performance.now();
const ARGS = parseArgs(process.argv.slice(2));
const wanted = (id) => !ARGS.only || ARGS.only.has(id);
// Issue #21: open-loop p99 at half of each scenario's own maximum, in ms.
const OPEN_LOOP = [['introspect_repeat', 10], ['client_credentials', 10], ['refresh', 25], ['revoke', 25], ['revoke_refresh', 25]];
const OPEN_LOOP_CONNECTIONS = 32;

const SCENARIOS = ALL_SCENARIOS.filter(({ id }) => wanted(id));
const log = (line) => process.stderr.write(`bench [${((performance.now() - began) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);

/** Runs this script again pinned to LOAD_CORE; the servers it starts pin themselves to SERVER_CORE. */
function repinned() {
  const child = spawn('taskset', ['-c', LOAD_CORE, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, TESSERA_BENCH_PINNED: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

function version(pkg) {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

function gitCommit() {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  if (head.status !== 0) return null;
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src', 'migrations'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? ' (with uncommitted changes)' : ''}`;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const pinned = canPin();
  if (pinned && process.env.TESSERA_BENCH_PINNED !== '1') return repinned();
  const mode = args.quick ? 'quick' : 'full';
  const settings = MODES[mode];
  if (!pinned) log('taskset or a second core is missing: running UNPINNED, the figures are not comparable to pinned runs');
  const adminUrl = process.env.DATABASE_URL || DEFAULT_ADMIN_URL;
  const startedAt = new Date();
  const databases = [await createDatabase(adminUrl)];
  const [database] = databases;
  const redisUrl = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  // Flags for the measured Tessera's node, e.g. "--cpu-prof --cpu-prof-dir=prof" to profile it pinned.
  const nodeArgs = (process.env.TESSERA_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const redis = await openRedisPrefix(redisUrl).catch((error) => {
    log(`Redis at ${redisUrl} does not answer (${error.message}): skipping the peer on Redis`);
    return undefined;
  });
  let cleaning;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await Server.stopAll();
      for (const db of databases) await db.drop().catch((error) => log(`could not drop a throwaway database: ${error.message}`));
      await redis?.drop().catch((error) => log(`could not delete the Redis keys under ${redis.prefix}: ${error.message}`));
    })());
  // Interrupted: no server, database or Redis key outlives the run.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      log(`${signal}: stopping the servers`);
      cleanup().finally(() => process.exit(130));
    });
  }
  try {
    log(`${mode} run; servers on core ${pinned ? '0' : 'any'}, load on core ${pinned ? LOAD_CORE : 'any'}`);
    // Only phases of their own asked for (--only signals, mass_logout): no table to measure.
    const tabled = SCENARIOS.length > 0;
    const ceiling = tabled ? await startCeiling({ pinned }) : undefined;
    const tessera = tabled ? await startTessera({ database, pinned, users: settings.users, workers: 1, cacheSize: CACHE_SIZE, nodeArgs }) : undefined;
    const peer = tabled ? await startPeer({ pinned }) : undefined;
    const peerRedis = redis && SCENARIOS.some((scenario) => scenario.storage) ? await startPeer({ pinned, redis }) : undefined;
    const targets = tabled ? [tessera, peer, ...(peerRedis ? [peerRedis] : [])] : [];
    const pools = new Map();
    for (const target of targets) pools.set(target.name, await preparePools(target, settings.pools, log));

    const report = {
      date: startedAt.toISOString(),
      mode,
      settings: { pinned, warmupSeconds: settings.warmupSeconds, seconds: settings.seconds, connections: settings.connections, pools: settings.pools, introspectionCacheSize: CACHE_SIZE },
      machine: {
        cores: cpus().length,
        cpu: cpus()[0]?.model ?? null,
        memoryBytes: totalmem(),
        os: release(),
        node: process.version,
        postgres: database.postgres,
        loadAverageAtStart: loadavg(),
      },
      servers: {
        tessera: { commit: gitCommit(), database: 'Postgres (durable)', accessTokens: 'ES256 JWT' },
        peer: { package: 'oidc-provider', version: version('oidc-provider'), storage: 'in-memory adapter (LRU cap raised)' },
        peerRedis: peerRedis
          ? { package: 'oidc-provider', version: version('oidc-provider'), storage: `Redis ${redis.version} (ioredis ${version('ioredis')}), adapter after the provider's example`, keyPrefix: redis.prefix }
          : { skipped: redis ? 'no scenario of this run touches its storage' : `Redis at ${redisUrl} does not answer` },
        ceiling: { package: 'fastify', version: version('fastify') },
        load: { package: 'autocannon', version: version('autocannon') },
      },
      ceiling: {},
      scenarios: SCENARIOS.map(({ id, title, describe }) => ({ id, title, describe, results: {} })),
    };

    for (const connections of tabled ? settings.connections : []) {
      const level = String(connections);
      const run = (spec, target, extra = {}) =>
        measure(spec, {
          connections,
          seconds: settings.seconds,
          warmupSeconds: settings.warmupSeconds,
          pids: () => target.pids(),
          dbPids: target.dbPids && (() => target.dbPids()),
          server: target.server,
          ...extra,
        });
      log(`ceiling @${connections}`);
      report.ceiling[level] = await run(ceiling.spec(), ceiling);
      for (const [i, scenario] of SCENARIOS.entries()) {
        const results = (report.scenarios[i].results[level] = {});
        // Tessera and the peers back to back, so that a noisy moment hits them alike.
        for (const target of targets) {
          if (target.storageScenariosOnly && !scenario.storage) continue;
          const prepared = await scenario.prepare(target, pools.get(target.name));
          if (prepared.na) {
            results[target.name] = { na: prepared.na };
            continue;
          }
          log(`${scenario.title} @${connections}: ${target.name}`);
          const measured = await run(prepared.spec, target, prepared.alongside ? { alongside: prepared.alongside } : {});
          results[target.name] = { ...measured, ...(prepared.extra?.() ?? {}) };
        }
      }
    }
    // Open-loop latency at half of each server's own closed-loop maximum at 32 connections:
    // for each scenario of this run that #21 names, the rate each server is offered.
    const openLoopPlan = (tabled ? OPEN_LOOP : []).flatMap(([id, targetP99Ms]) => {
      const index = SCENARIOS.findIndex((scenario) => scenario.id === id);
      if (index < 0) return [];
      const results = report.scenarios[index].results[String(OPEN_LOOP_CONNECTIONS)];
      const rates = [tessera, peer].flatMap((target) => {
        const maximum = measured(results?.[target.name])?.rps;
        return maximum ? [{ target, rate: maximum / 2 }] : [];
      });
      return [{ scenario: SCENARIOS[index], targetP99Ms, rates }];
    });
    report.openLoop = [];
    // The bare route first, at the highest rate offered to a server below: the latency this
    // generator and machine add to any server's. (Half the bare route's own maximum is more
    // than Node's HTTP client sends from one core: it would measure the generator's queue.)
    const floorRate = Math.max(0, ...openLoopPlan.flatMap(({ rates }) => rates.map(({ rate }) => rate)));
    if (floorRate > 0) {
      await settle(() => ceiling.pids());
      log(`open loop: ceiling at ${Math.round(floorRate)}/s`);
      const results = { ceiling: await openLoop(ceiling.spec(), { rate: floorRate, seconds: settings.seconds, connections: OPEN_LOOP_CONNECTIONS }) };
      report.openLoop.push({ id: 'ceiling', title: 'bare Fastify route (the floor)', targetP99Ms: null, connections: OPEN_LOOP_CONNECTIONS, results });
    }
    for (const { scenario, targetP99Ms, rates } of openLoopPlan) {
      const entry = { id: scenario.id, title: scenario.title, targetP99Ms, connections: OPEN_LOOP_CONNECTIONS, results: {} };
      for (const { target, rate } of rates) {
        // A revocation run mints its own tokens: as many as this rate revokes.
        const targetPools = { ...pools.get(target.name), revocableCount: Math.ceil(rate * settings.seconds) + OPEN_LOOP_CONNECTIONS };
        const prepared = await scenario.prepare(target, targetPools);
        await settle(() => target.pids());
        log(`open loop: ${scenario.title} at ${Math.round(rate)}/s: ${target.name}`);
        entry.results[target.name] = await openLoop(prepared.spec, { rate, seconds: settings.seconds, connections: OPEN_LOOP_CONNECTIONS });
        target.server.assertRunning();
      }
      report.openLoop.push(entry);
    }
    // What distinct-JWT introspection is measured against: node:crypto verifying the same
    // tokens on the same core, nothing else.
    if (tessera && SCENARIOS.some(({ id }) => id === 'introspect_distinct')) {
      log('node:crypto ES256 verification rate on the servers\' core');
      const jwks = await (await fetch(`${tessera.url}/.well-known/jwks.json`)).json();
      report.verifyRate = await measureVerifyRate({ tokens: pools.get('tessera').distinct, jwks, seconds: settings.seconds, pinned });
    }
    // A Tessera of its own (ACCESS_TOKEN_TTL=300) and a resource server using the package.
    databases.push(await createDatabase(adminUrl));
    if (wanted('signals')) report.signals = await measureSignals({ database: databases.at(-1), pinned, settings, log });
    // A Tessera of its own whose relying party's back-channel endpoint never answers.
    databases.push(await createDatabase(adminUrl));
    if (wanted('backchannel')) report.backchannel = await measureBackchannel({ database: databases.at(-1), pinned, settings, log });
    // Opt-in: a million sessions take minutes to seed and revoke.
    if (ARGS.only?.has('mass_logout')) {
      databases.push(await createDatabase(adminUrl));
      report.massLogout = await measureMassLogout({ database: databases.at(-1), pinned, settings, families: args.massLogoutFamilies, log });
    }
    if (args.multicore) {
      // Tessera's cluster mode on both cores, on a database of its own; the load stays on core 1.
      databases.push(await createDatabase(adminUrl));
      const multi = await startTessera({ database: databases.at(-1), pinned: false, users: settings.users, workers: 2, cacheSize: CACHE_SIZE });
      const multiPools = await preparePools(multi, settings.pools, log);
      report.multicore = { workers: 2, pinned: false, scenarios: SCENARIOS.map(({ id, title }) => ({ id, title, results: {} })) };
      for (const connections of settings.connections) {
        for (const [i, scenario] of SCENARIOS.entries()) {
          const prepared = await scenario.prepare(multi, multiPools);
          log(`${scenario.title} @${connections}: tessera WORKERS=2`);
          const measured = await measure(prepared.spec, {
            connections,
            seconds: settings.seconds,
            warmupSeconds: settings.warmupSeconds,
            pids: () => multi.pids(),
            dbPids: () => multi.dbPids(),
            server: multi.server,
            ...(prepared.alongside ? { alongside: prepared.alongside } : {}),
          });
          report.multicore.scenarios[i].results[String(connections)] = { ...measured, ...(prepared.extra?.() ?? {}) };
        }
      }
      await multi.stop();
    }
    report.machine.loadAverageAtEnd = loadavg();
    report.verdicts = verdicts(report);

    const text = [
      `Tessera benchmark (${mode}) ${report.date}`,
      `machine: ${report.machine.cores} cores (${report.machine.cpu}), Node ${report.machine.node}, Postgres ${database.postgres.version} (fsync ${database.postgres.fsync}, synchronous_commit ${database.postgres.synchronous_commit})`,
      `servers pinned to core 0, autocannon to core ${LOAD_CORE}${pinned ? '' : ' -- NOT PINNED (taskset or a second core missing)'}; Postgres unpinned; ${settings.warmupSeconds} s warm-up, ${settings.seconds} s measured`,
      ...(tabled ? [`peer: oidc-provider ${report.servers.peer.version}, in memory; ${peerRedisText(report.servers.peerRedis)}; ceiling: bare Fastify ${report.servers.ceiling.version} route`] : []),
      '',
      ...(tabled ? settings.connections.flatMap((connections) => [table(report, connections), '']) : []),
      ...(report.openLoop.length ? [openLoopText(report), ''] : []),
      ...(report.verifyRate ? [verifyRateText(report), ''] : []),
      ...(report.multicore
        ? [
            'Tessera in cluster mode (WORKERS=2, both cores, unpinned; autocannon still on core 1, Postgres on both)',
            ...settings.connections.flatMap((connections) => [multicoreTable(report, connections), '']),
          ]
        : []),
      signalsText(report.signals),
      '',
      backchannelText(report.backchannel),
      '',
      massLogoutText(report.massLogout),
      '',
      'req/s counts 2xx responses only (the login page: its 303s); "!" marks a run with 5xx or connection errors, "*" one with other answers; n/j: too little measured to judge.',
      'T/peer, T/Redis: Tessera req/s over the in-memory peer\'s, over the Redis peer\'s (only where its storage is on the path); T/ceiling: over the bare Fastify route at the same connection count.',
      '',
      'Targets (issue figures):',
      verdictText(report.verdicts),
      '',
    ].join('\n');
    process.stdout.write(text);

    const file = args.out ?? join(ROOT, 'bench', 'results', `${startedAt.toISOString().slice(0, 10)}${mode === 'quick' ? '.quick' : ''}${ARGS.only ? `.${[...ARGS.only].join('+')}` : ''}.json`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`results written to ${file.startsWith(ROOT) ? file.slice(ROOT.length) : file}\n`);
  } finally {
    await cleanup();
  }
}

main().catch((error) => {
  process.stderr.write(`bench: ${error.stack ?? error}\n`);
  process.exit(1);
});
