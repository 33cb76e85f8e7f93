import { rows } from '../factories/admin.js';
import { createClient, createUser, login, type TestClient, token } from '../factories/index.js';
import { isActive } from '../factories/resource-server.js';
import { startTestApp, TEST_SECRETS, type TestApp } from '../setup/app.js';
import { childEnv, type Finished, lines, runNode } from '../setup/processes.js';

describe('tessera sessions revoke --user / keys rotate (the real CLI beside a running server)', () => {
  let t: TestApp;
  let app: TestClient;
  let resourceServer: TestClient;

  beforeAll(async () => {
    t = await startTestApp();
    app = await createClient(t);
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
  });
  afterAll(async () => {
    await t.close();
  });

  function tessera(args: string[]): Promise<Finished> {
    return runNode(['bin/tessera.js', ...args], childEnv({ DATABASE_URL: t.db.url, ...TEST_SECRETS }), { timeoutMs: 60_000 });
  }

  /** The server hears of another process's revocation through NOTIFY or its next poll. */
  async function becomesInactive(tokenText: string): Promise<boolean> {
    for (let i = 0; i < 50; i++) {
      if (!(await isActive(t, resourceServer, tokenText))) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }

  it('revokes every session of the user, prints how many, and records the CLI as the actor', async () => {
    const user = await createUser(t);
    const other = await createUser(t);
    const sessions = [await login(t, app, user), await login(t, app, user)];
    const bystander = await login(t, app, other);

    const result = await tessera(['sessions', 'revoke', '--user', user.username]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual(['revoked: 2']);

    for (const s of sessions) {
      expect(await becomesInactive(s.access_token)).toBe(true);
      expect((await token(t, app, { grant_type: 'refresh_token', refresh_token: s.refresh_token })).body.error).toBe('invalid_grant');
    }
    expect(await isActive(t, resourceServer, bystander.access_token)).toBe(true);
    const events = await rows(t, `SELECT actor, reason FROM audit_events WHERE type = 'session_revoked' AND user_id = $1`, [user.user.id]);
    expect(events).toEqual([{ actor: 'cli', reason: 'admin' }, { actor: 'cli', reason: 'admin' }]);
  });

  it('finds the user under any RFC 8265 form of the name (--user ALICE is alice)', async () => {
    const user = await createUser(t);
    const session = await login(t, app, user);
    const result = await tessera(['sessions', 'revoke', '--user', user.username.toUpperCase()]);
    expect({ code: result.code, stdout: lines(result.stdout) }).toEqual({ code: 0, stdout: ['revoked: 1'] });
    expect(await becomesInactive(session.access_token)).toBe(true);
  });

  it('fails with one line for an unknown user, and revokes nothing', async () => {
    const user = await createUser(t);
    const session = await login(t, app, user);
    const result = await tessera(['sessions', 'revoke', '--user', 'nobody-by-this-name']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)).toEqual(['tessera: --user: no user named "nobody-by-this-name"']);
    expect(await isActive(t, resourceServer, session.access_token)).toBe(true);
  });

  it('keys rotate records key_rotated with the CLI as the actor', async () => {
    const result = await tessera(['keys', 'rotate']);
    expect(result.code).toBe(0);
    const kid = /^pending key: (\S+)$/m.exec(result.stdout)?.[1];
    const events = await rows<{ actor: string; details: { kid: string } }>(t, `SELECT actor, details FROM audit_events WHERE type = 'key_rotated' ORDER BY id`);
    // The first is the key made at the first boot, by the system.
    expect(events.map((event) => event.actor)).toEqual(['system', 'cli']);
    expect(events[1].details.kid).toBe(kid);
  });
});
