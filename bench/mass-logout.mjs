// A mass logout must not make steady-state JWT introspection hit the database per request
// (issue #20): a Tessera of its own, a working set of live user JWTs introspected before,
// during and after `families` sessions of another user are revoked in one statement. Opt-in
// (`--only mass_logout`): seeding a million sessions takes minutes.
//
// The sessions are inserted with generate_series and revoked with the revoked/announced
// part of FamilyStore's REVOKE statement (the same families and revocation_events rows; they
// have no refresh tokens to wipe and their client no back-channel URI), by a connection of
// its own, so that Tessera learns them from the feed as it learns any revocation.
import pg from 'pg';
import { collect, cycling, measure } from './load.mjs';
import { rssBytes, sleep } from './processes.mjs';
import { form, startTessera } from './tessera.mjs';

// Live sessions of the working set: each a family of its own, so each is its own question to the overflow filter.
const LIVE_SESSIONS = 500;
const CONNECTIONS = 32;
const DURING_WINDOW_SECONDS = 5;
// REVOCATION_MARGIN_SECONDS in src/sessions/revocation-event.ts; ACCESS_TOKEN_TTL is the bench's 3600.
const RELEVANT_FOR_SECONDS = 3600 + 60;

async function query(url, text, params = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

function seedFamilies(url, username, count) {
  return query(
    url,
    `INSERT INTO families (id, user_id, client_id, scope, created_at, last_used_at, idle_expires_at, absolute_expires_at)
     SELECT gen_random_uuid(), u.id, 'bench-app', 'read', now(), now(), now() + interval '1 day', now() + interval '30 days'
     FROM users u, generate_series(1, $2) WHERE u.username = $1`,
    [username, count],
  );
}

/** `appendToFeed` is the product's own (compiled by startTessera), so the feed rows are those a revocation writes. */
function revokeAllOf(url, username, appendToFeed) {
  return query(
    url,
    `WITH revoked AS (
       UPDATE families SET revoked_at = now(), revoked_reason = 'admin', revoked_by = 'bench'
       WHERE user_id = (SELECT id FROM users WHERE username = $1) AND revoked_at IS NULL
       RETURNING id
     ), ${appendToFeed('announced', `SELECT 'family', revoked.id::text, now(), now() + make_interval(secs => $2) FROM revoked`)}
     SELECT count(*)::int AS n FROM revoked`,
    [username, RELEVANT_FOR_SECONDS],
  );
}

/** Tessera's own counters and the view's gauges, from GET /metrics. */
async function viewMetrics(tessera) {
  const text = await (await fetch(`${tessera.url}/metrics`)).text();
  const value = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return {
    databaseChecks: value('tessera_revocation_view_database_checks_total'),
    entries: value('tessera_revocation_view_entries'),
    overflowEntries: value('tessera_revocation_view_overflow_entries'),
    unavailable: value('tessera_http_unavailable_total\\{method="POST",route="/oauth/introspect"\\}'),
  };
}

const rss = (tessera) => tessera.pids().reduce((sum, pid) => sum + rssBytes(pid), 0);

/**
 * Introspection windows until `done()` (back to back: the server is busy on purpose); one
 * figure for them all, with the view's database checks per request.
 */
async function phase(tessera, spec, { seconds, warmupSeconds = 0, done = () => true, settled = true }) {
  const start = await viewMetrics(tessera);
  const windows = [];
  const pids = () => tessera.pids();
  do windows.push(await measure(spec, { connections: CONNECTIONS, seconds, warmupSeconds: windows.length ? 0 : warmupSeconds, pids, server: tessera.server, settled: settled && !windows.length }));
  while (!(await done()));
  const end = await viewMetrics(tessera);
  const sum = (key) => windows.reduce((total, w) => total + (w[key] ?? 0), 0);
  const statuses = {};
  for (const w of windows) for (const [status, n] of Object.entries(w.statuses)) statuses[status] = (statuses[status] ?? 0) + (n ?? 0);
  const ok = statuses['2xx'] ?? 0;
  return {
    seconds: sum('seconds'),
    rps: ok / sum('seconds'),
    p99: Math.max(...windows.map((w) => w.p99)),
    requests: sum('requests'),
    non2xx: sum('non2xx'),
    statuses,
    errors: sum('errors'),
    // 503: the view older than REVOCATION_MAX_STALENESS_MS (fail closed), as Tessera counts them.
    unavailable: end.unavailable - start.unavailable,
    databaseChecks: end.databaseChecks - start.databaseChecks,
    databaseChecksPerIntrospection: (end.databaseChecks - start.databaseChecks) / Math.max(1, sum('requests')),
    peakRssBytes: Math.max(...windows.map((w) => w.peakRssBytes)),
    rssAfterBytes: rss(tessera),
    view: end,
  };
}

export async function measureMassLogout({ database, pinned, settings, families, log }) {
  const seed = ({ run, password }) => run(['users', 'create', 'bench-mass'], { TESSERA_PASSWORD: password });
  const tessera = await startTessera({ database, pinned, users: 1, workers: 1, cacheSize: 10_000, seed });
  try {
    const { appendToFeed } = await import('../dist/src/persistence/stores/revocation-feed.sql.js');
    const [username] = tessera.usernames;
    log(`mass logout: ${LIVE_SESSIONS} live sessions of ${username}`);
    const live = await collect(
      { url: tessera.url, path: '/oauth/token', headers: { authorization: tessera.auth.app }, connection: tessera.loginBodies() },
      { connections: 8, amount: LIVE_SESSIONS, pick: (body) => body.access_token },
    );
    const spec = { url: tessera.url, path: '/oauth/introspect', headers: { authorization: tessera.auth.rs }, connection: cycling(live, (token) => form({ token, token_type_hint: 'access_token' })) };
    const seeding = performance.now();
    log(`mass logout: seeding ${families.toLocaleString('en-US')} sessions of bench-mass`);
    await seedFamilies(database.url, 'bench-mass', families);
    await query(database.url, 'VACUUM ANALYZE families');
    const seedSeconds = (performance.now() - seeding) / 1000;
    log(`mass logout: introspection before (${seedSeconds.toFixed(1)} s to seed)`);
    const before = await phase(tessera, spec, { seconds: settings.seconds, warmupSeconds: Math.max(2, settings.warmupSeconds) });

    log('mass logout: revoking them all in one statement, introspecting meanwhile');
    const revoking = performance.now();
    let revokeSeconds;
    let learnSeconds;
    const revocation = revokeAllOf(database.url, 'bench-mass', appendToFeed).then(([{ n }]) => {
      revokeSeconds = (performance.now() - revoking) / 1000;
      return n;
    });
    // During: until the statement has committed and the view holds every revocation it announced.
    const learned = async () => {
      if (revokeSeconds === undefined) return false;
      const { entries, overflowEntries } = await viewMetrics(tessera);
      if (entries + overflowEntries < families) return false;
      learnSeconds ??= (performance.now() - revoking) / 1000;
      return true;
    };
    const during = await phase(tessera, spec, { seconds: DURING_WINDOW_SECONDS, done: learned, settled: false });
    const revoked = await revocation;
    await sleep(1_000);
    log('mass logout: introspection after');
    const after = await phase(tessera, spec, { seconds: settings.seconds });
    return { families, revoked, liveSessions: LIVE_SESSIONS, connections: CONNECTIONS, seedSeconds, revokeSeconds, learnSeconds, before, during, after };
  } finally {
    await tessera.stop();
  }
}
