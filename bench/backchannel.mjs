// Back-channel logout must never slow token traffic: a Tessera of its own whose relying
// party's back-channel endpoint accepts connections and never answers (each delivery waits
// out its timeout, and the outbox fills), introspection measured before and while the
// logouts of `queued` ended sessions wait. Outside production, so that the receiver may be
// on 127.0.0.1 (the SSRF guard is tested, not measured).
import { createServer } from 'node:http';
import pg from 'pg';
import { basic, freePort } from './http.mjs';
import { collect, cycling, fixed, measure } from './load.mjs';
import { sleep } from './processes.mjs';
import { form, startTessera } from './tessera.mjs';

/** An endpoint that reads each request and never answers it (until `close`). */
async function silentReceiver() {
  const held = new Set();
  const server = createServer((request, response) => {
    held.add(response);
    request.resume();
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}/backchannel`,
    close: () =>
      new Promise((resolve) => {
        for (const response of held) response.destroy();
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}

/** Logouts owed (neither delivered nor given up), read from the outbox itself. */
async function queueDepth(databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT count(*)::int AS n FROM backchannel_logouts WHERE delivered_at IS NULL AND gave_up_at IS NULL');
    return rows[0].n;
  } finally {
    await client.end();
  }
}

export async function measureBackchannel({ database, pinned, settings, log }) {
  const receiver = await silentReceiver();
  const seed = ({ run, secretOf, password }) => {
    const rp = secretOf(
      run(['clients', 'create', 'bench-rp', '--type', 'confidential', '--grants', 'password,refresh_token', '--scopes', 'read', '--backchannel-logout-uri', receiver.url]),
    );
    return { rp: basic('bench-rp', rp), password };
  };
  const tessera = await startTessera({ database, pinned, users: 1, workers: 1, cacheSize: 10_000, env: { NODE_ENV: 'development' }, seed });
  try {
    const { seeded } = tessera;
    const [username] = tessera.usernames;
    const tokenOf = (client, scope) => ({ url: tessera.url, path: '/oauth/token', headers: { authorization: client }, connection: cycling([username], () => form({ grant_type: 'password', username, password: seeded.password, scope })) });
    const [live] = await collect(tokenOf(tessera.auth.app, 'read'), { connections: 1, amount: 1, pick: (body) => body.access_token });
    const introspection = { url: tessera.url, path: '/oauth/introspect', headers: { authorization: tessera.auth.rs }, connection: fixed(form({ token: live })) };
    const run = () => measure(introspection, { connections: 32, seconds: settings.seconds, warmupSeconds: Math.max(1, settings.warmupSeconds), pids: () => tessera.pids(), dbPids: () => tessera.dbPids(), server: tessera.server });

    log('back-channel logout: introspection with nothing owed');
    const before = await run();
    log(`back-channel logout: ${settings.backchannel.queued} sessions of a relying party whose endpoint never answers, ended by RFC 7009 revocation`);
    const refresh = await collect(tokenOf(seeded.rp, 'read'), { connections: 8, amount: settings.backchannel.queued, pick: (body) => body.refresh_token });
    await collect(
      { url: tessera.url, path: '/oauth/revoke', headers: { authorization: seeded.rp }, connection: cycling(refresh, (token) => form({ token, token_type_hint: 'refresh_token' })) },
      { connections: 8, amount: refresh.length, pick: () => true },
    );
    await sleep(500);
    const queuedBefore = await queueDepth(database.url);
    log(`back-channel logout: introspection while ${queuedBefore} logouts wait`);
    const during = await run();
    const queuedAfter = await queueDepth(database.url);
    return { queued: settings.backchannel.queued, queueDepth: { before: queuedBefore, after: queuedAfter }, connections: 32, before, during };
  } finally {
    await tessera.stop();
    await receiver.close();
  }
}
