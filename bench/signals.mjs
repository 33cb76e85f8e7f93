// Revocation signals for resource servers: a Tessera of its own (ACCESS_TOKEN_TTL=300, the
// issue's status quo) and a resource server built with @tessera/resource-server in another
// process (bench/rs-server.mjs). Three figures:
// - revocation-to-refusal latency: the admin API ends a session while the resource server is
//   under load; a prober asks the resource server with that session's token every few ms
//   until it answers 401. With signals (SSF poll stream) and with per-request introspection
//   it is measured; for the status quo (offline verification only) the token is checked to
//   be still accepted after the revocation and the latency is computed: exp − revocation.
// - throughput of the guard (offline verification + revocation view) vs per-request introspection;
// - heap of the revocation view per 100k revoked sessions (bench/revocation-memory.mjs).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { basic, postForm } from './http.mjs';
import { background, collect, cycling, measure } from './load.mjs';
import { ROOT, Server, sleep } from './processes.mjs';
import { form, startTessera } from './tessera.mjs';

export const API_AUDIENCE = 'https://api.bench.invalid';
/** The issue's status quo: a 300 s JWT. */
const ACCESS_TOKEN_TTL = 300;
const PROBE_EVERY_MS = 5;
/** A revocation not refused by then counts as never refused (and fails the target). */
const REFUSAL_LIMIT_MS = 10_000;
const PACKAGE = join(ROOT, 'packages', 'resource-server');

/** Clients and users of this phase, made with Tessera's CLI before it boots. */
function seed({ run, secretOf, password }) {
  run(['users', 'create', 'bench-admin', '--admin'], { TESSERA_PASSWORD: password });
  const admin = secretOf(run(['clients', 'create', 'bench-console', '--type', 'confidential', '--grants', 'password', '--scopes', 'admin']));
  const api = secretOf(
    run(['clients', 'create', 'bench-api-app', '--type', 'confidential', '--grants', 'password', '--scopes', 'read', '--audience', API_AUDIENCE]),
  );
  const rs = secretOf(run(['clients', 'create', 'bench-api', '--type', 'confidential', '--grants', 'client_credentials', '--scopes', 'ssf', '--introspect']));
  return { console: basic('bench-console', admin), app: basic('bench-api-app', api), rs: { id: 'bench-api', secret: rs }, password };
}

function newest(dir) {
  return Math.max(...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
}

/** The package is used as an API would: its compiled dist/, rebuilt when a source is newer. */
function buildPackage() {
  let built = 0;
  try {
    built = statSync(join(PACKAGE, 'dist', 'index.js')).mtimeMs;
  } catch {
    // never built
  }
  if (built >= newest(join(PACKAGE, 'src'))) return;
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: PACKAGE, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('building @tessera/resource-server failed');
}

const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

export async function measureSignals({ database, pinned, settings, log }) {
  buildPackage();
  const tessera = await startTessera({ database, pinned, users: 1, workers: 1, cacheSize: 10_000, env: { ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL) }, seed });
  const { seeded } = tessera;
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    ISSUER: tessera.issuer,
    TESSERA_URL: tessera.url,
    AUDIENCE: API_AUDIENCE,
    CLIENT_ID: seeded.rs.id,
    CLIENT_SECRET: seeded.rs.secret,
  };
  const rs = new Server('resource-server', ['bench/rs-server.mjs'], env, { pinned });
  const rsUrl = await rs.listening();
  const s = settings.signals;
  const logins = (count) =>
    collect(
      { url: tessera.url, path: '/oauth/token', headers: { authorization: seeded.app }, connection: cycling(tessera.usernames, (username) => form({ grant_type: 'password', username, password: seeded.password, scope: 'read' })) },
      { connections: 4, amount: count, pick: (body) => body.access_token },
    );
  let admin;
  const adminToken = async () => {
    if (admin && admin.until > Date.now()) return admin.token;
    const answer = await postForm(`${tessera.url}/oauth/token`, { grant_type: 'password', username: 'bench-admin', password: seeded.password, scope: 'admin' }, { authorization: seeded.console });
    if (answer.status !== 200) throw new Error(`no admin token: ${answer.text}`);
    admin = { token: answer.body.access_token, until: Date.now() + 60_000 };
    return admin.token;
  };
  const ctx = { tessera, rs, rsUrl, logins, adminToken, settings: s, log };
  try {
    const latency = {
      signals: await latencyOf(ctx, 'signals', s.revocations),
      introspection: await latencyOf(ctx, 'introspect', s.introspectRevocations),
      offline: await offlineLatency(ctx, s.offlineRevocations),
    };
    const throughput = {};
    for (const connections of s.connections) throughput[String(connections)] = await throughputAt(ctx, connections, settings);
    log('revocation view: heap of 100k revoked sessions');
    const memory = revocationMemory(100_000);
    return {
      settings: {
        accessTokenTtl: ACCESS_TOKEN_TTL,
        probeEveryMs: PROBE_EVERY_MS,
        loadConnections: s.loadConnections,
        revocations: s.revocations,
        introspectRevocations: s.introspectRevocations,
        offlineRevocations: s.offlineRevocations,
        connections: s.connections,
      },
      latency,
      throughput,
      memory,
    };
  } finally {
    await rs.stop();
    await tessera.stop();
  }
}

/** The resource server's answer to one request with `token` on the routes of `mode`. */
async function probe(ctx, mode, token) {
  const response = await fetch(`${ctx.rsUrl}/${mode}/resource`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

/** Connections that present `tokens` in turn, one per request, as bearer tokens. */
function bearers(tokens) {
  let next = 0;
  return () => ({ next: () => ({ body: '', headers: { authorization: `Bearer ${tokens[next++ % tokens.length]}` } }) });
}

/** Load on the resource server's `mode` routes with live tokens of other sessions, until stopped. */
function loadOn(ctx, mode, tokens, connections) {
  return background({ url: ctx.rsUrl, path: `/${mode}/resource`, headers: {}, connection: bearers(tokens) }, connections, 3600);
}

/**
 * `count` sessions ended by the admin API, one at a time, each while the resource server's
 * `mode` routes are under load: milliseconds from sending the revocation until the first 401.
 * Sessions and load tokens are minted per batch, well inside their 300 s lifetime.
 */
async function latencyOf(ctx, mode, count) {
  const samples = [];
  let notRefused = 0;
  let loadRequests = 0;
  for (let done = 0; done < count; ) {
    const batch = Math.min(ctx.settings.batch, count - done);
    ctx.log(`revocation to refusal (${mode}): sessions ${done + 1}-${done + batch} of ${count}`);
    const [victims, loadTokens] = [await ctx.logins(batch), await ctx.logins(8)];
    const load = loadOn(ctx, mode, loadTokens, ctx.settings.loadConnections);
    const loaded = new Promise((resolve) => load.once('done', resolve));
    try {
      for (const token of victims) {
        const ms = await revokeAndProbe(ctx, mode, token);
        if (ms === undefined) notRefused++;
        else samples.push(ms);
      }
    } finally {
      load.stop();
    }
    loadRequests += (await loaded).requests.total;
    done += batch;
  }
  return { mode, count, notRefused, loadConnections: ctx.settings.loadConnections, loadRequests, ...percentiles(samples) };
}

async function revokeAndProbe(ctx, mode, token) {
  const { sid } = claimsOf(token);
  if ((await probe(ctx, mode, token)) !== 200) throw new Error(`${mode}: a fresh token was not accepted`);
  const authorization = `Bearer ${await ctx.adminToken()}`;
  const started = performance.now();
  const revoked = fetch(`${ctx.tessera.url}/admin/sessions/${sid}`, { method: 'DELETE', headers: { authorization } }).then(async (response) => {
    await response.arrayBuffer();
    if (response.status !== 204) throw new Error(`admin revocation answered ${response.status}`);
  });
  try {
    for (;;) {
      const status = await probe(ctx, mode, token);
      if (status === 401) return performance.now() - started;
      if (status !== 200) throw new Error(`${mode}: the resource server answered ${status}`);
      if (performance.now() - started > REFUSAL_LIMIT_MS) return undefined;
      await sleep(PROBE_EVERY_MS);
    }
  } finally {
    await revoked;
  }
}

/**
 * The status quo: nothing tells an offline verifier. Each token is revoked, then asked for
 * during `offlineWindowMs` to show it is still accepted; its refusal comes at exp, so the
 * latency reported is computed, exp − revocation time, for tokens revoked right after issue.
 */
async function offlineLatency(ctx, count) {
  ctx.log(`revocation to refusal (offline verification, computed): ${count} sessions`);
  const samples = [];
  let stillAccepted = 0;
  for (const token of await ctx.logins(count)) {
    const { sid, exp } = claimsOf(token);
    const response = await fetch(`${ctx.tessera.url}/admin/sessions/${sid}`, { method: 'DELETE', headers: { authorization: `Bearer ${await ctx.adminToken()}` } });
    await response.arrayBuffer();
    const revokedAt = Date.now();
    let accepted = true;
    while (Date.now() - revokedAt < ctx.settings.offlineWindowMs && accepted) {
      accepted = (await probe(ctx, 'offline', token)) === 200;
      await sleep(PROBE_EVERY_MS * 10);
    }
    if (accepted) stillAccepted++;
    samples.push(exp * 1000 - revokedAt);
  }
  return { mode: 'offline', method: 'computed: exp − revocation time', count, stillAcceptedAfterMs: ctx.settings.offlineWindowMs, stillAccepted, ...percentiles(samples) };
}

/** req/s of the guard and of per-request introspection, same tokens, same connections. */
async function throughputAt(ctx, connections, settings) {
  const tokens = await ctx.logins(16);
  const pids = () => [...ctx.rs.tree(), ...ctx.tessera.pids()];
  const out = {};
  for (const mode of ['signals', 'introspect']) {
    ctx.log(`resource server throughput (${mode}) @${connections}`);
    out[mode === 'signals' ? 'guard' : 'introspection'] = await measure(
      { url: ctx.rsUrl, path: `/${mode}/resource`, headers: {}, connection: bearers(tokens) },
      { connections, seconds: settings.seconds, warmupSeconds: settings.warmupSeconds, pids, server: ctx.rs },
    );
  }
  return out;
}

function revocationMemory(count) {
  const result = spawnSync(process.execPath, ['--expose-gc', 'bench/revocation-memory.mjs', String(count)], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`revocation-memory failed: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout);
}

function percentiles(samples) {
  const sorted = Float64Array.from(samples).sort();
  const at = (q) => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 10) / 10 : null);
  return { samples: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.length ? Math.round(sorted[sorted.length - 1] * 10) / 10 : null };
}
