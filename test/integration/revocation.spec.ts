import { createClient, createUser, login, postForm, type TestClient, token, type TestUser } from '../factories/index.js';
import { INACTIVE_BODY, introspect, isActive, jwtClaims, revoke } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';

describe('POST /oauth/revoke (RFC 7009)', () => {
  let t: TestApp;
  let app: TestClient;
  let other: TestClient;
  let resourceServer: TestClient;
  let user: TestUser;

  const count = async (sql: string, params: unknown[] = []) =>
    Number((await t.db.dataSource.query<Array<{ n: string }>>(sql, params))[0].n);
  const revokedJtis = () => count(`SELECT count(*) AS n FROM revoked_access_tokens`);
  const events = () => count(`SELECT count(*) AS n FROM revocation_events`);
  /** RFC 7009 §2.1: `caller` may not revoke another client's live token, which stays live, and nothing is written. */
  const expectRefused = async (caller: TestClient, presented: string, hint: Record<string, string>, ...stillLive: string[]) => {
    const before = await events();
    const result = await revoke(t, caller, presented, hint);
    expect(result.status).toBe(400);
    expect(result.body).toEqual({ error: 'invalid_request', error_description: 'the token was not issued to this client' });
    for (const value of stillLive) expect(await isActive(t, resourceServer, value)).toBe(true);
    expect(await events()).toBe(before);
  };

  beforeAll(async () => {
    t = await startTestApp();
    app = await createClient(t);
    other = await createClient(t);
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('caller authentication (§2.1)', () => {
    it('answers 401 invalid_client without credentials or with a wrong secret, and revokes nothing', async () => {
      const { refresh_token } = await login(t, app, user);
      const bare = await postForm(t, '/oauth/revoke', { token: refresh_token });
      expect(bare.status).toBe(401);
      expect(bare.body.error).toBe('invalid_client');
      const wrong = `Basic ${Buffer.from(`${app.id}:not-the-secret-0123456789abcdefghijklmn`).toString('base64')}`;
      const badSecret = await postForm(t, '/oauth/revoke', { token: refresh_token }, { authorization: wrong });
      expect(badSecret.status).toBe(401);
      expect(badSecret.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(await isActive(t, resourceServer, refresh_token)).toBe(true);
    });

    it('refuses a confidential client that presents no secret (auth method none is for public clients)', async () => {
      const { refresh_token } = await login(t, app, user);
      const result = await postForm(t, '/oauth/revoke', { token: refresh_token, client_id: app.id });
      expect(result.status).toBe(401);
      expect(await isActive(t, resourceServer, refresh_token)).toBe(true);
    });

    it('answers 400 invalid_request without a token', async () => {
      const result = await postForm(t, '/oauth/revoke', { token_type_hint: 'refresh_token' }, { authorization: app.basic });
      expect(result.status).toBe(400);
      expect(result.body).toEqual({ error: 'invalid_request', error_description: 'missing parameter: token' });
    });
  });

  // With the hint or without one, a client's own refresh token is found and revoked by a
  // grouped statement; with the other kind's hint, that statement misses and the token is
  // looked up: all must end the same session the same way.
  describe.each([
    ['without a hint', {}],
    ['with token_type_hint=refresh_token', { token_type_hint: 'refresh_token' }],
    ['with the other kind\'s hint, token_type_hint=access_token', { token_type_hint: 'access_token' }],
  ])('revoking a refresh token, %s', (_, hint: Record<string, string>) => {
    it('answers 200 with {} and ends the whole family and its access tokens', async () => {
      const first = await login(t, app, user);
      const second = await token(t, app, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
      const current = second.body as Record<string, string>;
      const result = await revoke(t, app, current.refresh_token, hint);
      expect(result.status).toBe(200);
      expect(result.text).toBe('{}');
      expect(result.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(result.headers.get('cache-control')).toBe('no-store');
      expect(result.headers.get('pragma')).toBe('no-cache');
      for (const dead of [first.access_token, current.access_token, current.refresh_token]) {
        expect((await introspect(t, resourceServer, dead)).text).toBe(INACTIVE_BODY);
      }
      const refreshed = await token(t, app, { grant_type: 'refresh_token', refresh_token: current.refresh_token });
      expect(refreshed.status).toBe(400);
      expect(refreshed.body.error).toBe('invalid_grant');
      const [family] = await t.db.dataSource.query<Array<{ revoked_reason: string; revoked_by: string }>>(`SELECT revoked_reason, revoked_by FROM families WHERE id = $1`, [
        jwtClaims(current.access_token).sid,
      ]);
      expect(family).toEqual({ revoked_reason: 'revoked', revoked_by: `client:${app.id}` });
    });

    it('ends the family when an older, rotated token of it is presented', async () => {
      const first = await login(t, app, user);
      const second = (await token(t, app, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).body;
      expect((await revoke(t, app, first.refresh_token, hint)).status).toBe(200);
      expect((await introspect(t, resourceServer, second.refresh_token as string)).text).toBe(INACTIVE_BODY);
    });

    it('lets a public client revoke its own refresh token with just its client_id', async () => {
      const spa = await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'] });
      const session = await login(t, spa, user);
      const result = await postForm(t, '/oauth/revoke', { token: session.refresh_token, client_id: spa.id, ...hint });
      expect(result.status).toBe(200);
      expect((await introspect(t, resourceServer, session.access_token)).text).toBe(INACTIVE_BODY);
    });

    it('answers 200 again for a session already over, and writes nothing', async () => {
      const session = await login(t, app, user);
      expect((await revoke(t, app, session.refresh_token, hint)).status).toBe(200);
      const before = await events();
      expect((await revoke(t, app, session.refresh_token, hint)).status).toBe(200);
      expect(await events()).toBe(before);
    });

    it("refuses another client's live one with 400 invalid_request and leaves its session alone", async () => {
      const foreign = await login(t, other, user);
      await expectRefused(app, foreign.refresh_token, hint, foreign.refresh_token, foreign.access_token);
    });
  });

  describe('revoking an access token', () => {
    it('revokes that token only, remembered by jti until it expires', async () => {
      const session = await login(t, app, user);
      const sibling = (await token(t, app, { grant_type: 'refresh_token', refresh_token: session.refresh_token })).body;
      const claims = jwtClaims(session.access_token) as { jti: string; exp: number };
      expect((await revoke(t, app, session.access_token)).status).toBe(200);
      expect((await introspect(t, resourceServer, session.access_token)).text).toBe(INACTIVE_BODY);
      expect(await isActive(t, resourceServer, sibling.access_token as string)).toBe(true);
      expect(await isActive(t, resourceServer, sibling.refresh_token as string)).toBe(true);
      const rows = await t.db.dataSource.query<Array<{ jti: string; expires_at: Date }>>(`SELECT jti, expires_at FROM revoked_access_tokens WHERE jti = $1`, [claims.jti]);
      expect(rows).toHaveLength(1);
      expect(rows[0].expires_at.getTime()).toBe(claims.exp * 1000);
      // Kept by jti, never by (a hash of) its text.
      const everything = JSON.stringify(await t.db.dataSource.query(`SELECT * FROM revoked_access_tokens`));
      expect(everything).not.toContain(session.access_token.split('.')[2]);
    });

    it('writes nothing for an access token that has already expired', async () => {
      const session = await login(t, app, user);
      t.clock.advance(300);
      const before = await revokedJtis();
      expect((await revoke(t, app, session.access_token)).status).toBe(200);
      expect(await revokedJtis()).toBe(before);
    });
  });

  // As for refresh tokens: with the hint or without one, a grouped statement finds and
  // revokes a client's own opaque token; with the other kind's hint, it is looked up.
  describe.each([
    ['without a hint', {}],
    ['with token_type_hint=access_token', { token_type_hint: 'access_token' }],
    ['with the other kind\'s hint, token_type_hint=refresh_token', { token_type_hint: 'refresh_token' }],
  ])('revoking an opaque access token, %s', (_, hint: Record<string, string>) => {
    let opaque: TestClient;
    let otherOpaque: TestClient;
    beforeAll(async () => {
      opaque = await createClient(t, { accessTokenFormat: 'opaque' });
      otherOpaque = await createClient(t, { accessTokenFormat: 'opaque' });
    });

    it('revokes that token only, remembered by jti, audited once, and writes nothing the second time', async () => {
      const session = await login(t, opaque, user);
      expect((await revoke(t, opaque, session.access_token, hint)).status).toBe(200);
      expect((await introspect(t, resourceServer, session.access_token)).text).toBe(INACTIVE_BODY);
      expect(await isActive(t, resourceServer, session.refresh_token)).toBe(true);
      const [row] = await t.db.dataSource.query<Array<{ jti: string; remembered: number; audited: number }>>(
        `SELECT o.jti, (SELECT count(*)::int FROM revoked_access_tokens r WHERE r.jti = o.jti) AS remembered,
                (SELECT count(*)::int FROM audit_events a WHERE a.type = 'access_token_revoked' AND a.details->>'jti' = o.jti) AS audited
         FROM opaque_access_tokens o WHERE o.client_id = $1 AND o.revoked_at IS NOT NULL`,
        [opaque.id],
      );
      expect(row).toMatchObject({ remembered: 1, audited: 1 });
      const before = await events();
      expect((await revoke(t, opaque, session.access_token, hint)).status).toBe(200);
      expect(await events()).toBe(before);
    });

    it("refuses another client's live one with 400 invalid_request and leaves it live", async () => {
      const foreign = await login(t, otherOpaque, user);
      await expectRefused(opaque, foreign.access_token, hint, foreign.access_token);
    });
  });

  describe('200 and nothing else for tokens that are not live (§2.2)', () => {
    it.each([
      ['an unknown random token', 'B'.repeat(43)],
      ['a malformed string', 'definitely not a token'],
      ['a forged JWT', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'],
    ])('for %s', async (_, value) => {
      const before = await events();
      const result = await revoke(t, app, value);
      expect(result.status).toBe(200);
      expect(result.text).toBe('{}');
      expect(await events()).toBe(before);
    });

    it('for a token revoked before, each time', async () => {
      const session = await login(t, app, user);
      for (let i = 0; i < 2; i++) {
        expect((await revoke(t, app, session.refresh_token)).status).toBe(200);
        expect((await revoke(t, app, session.access_token)).status).toBe(200);
      }
    });
  });

  describe("another client's token (§2.1)", () => {
    it('refuses a live one with 400 invalid_request and leaves it live, whatever its type', async () => {
      const foreign = await login(t, other, user);
      const beforeEvents = await events();
      for (const value of [foreign.access_token, foreign.refresh_token]) {
        const result = await revoke(t, app, value);
        expect(result.status).toBe(400);
        expect(result.body).toEqual({ error: 'invalid_request', error_description: 'the token was not issued to this client' });
        expect(await isActive(t, resourceServer, value)).toBe(true);
      }
      // Not even a resource server with the introspect permission may revoke it.
      expect((await revoke(t, resourceServer, foreign.access_token)).status).toBe(400);
      expect(await events()).toBe(beforeEvents);
      expect(await isActive(t, resourceServer, foreign.access_token)).toBe(true);
    });

    it('answers a dead one like an unknown one', async () => {
      const foreign = await login(t, other, user);
      expect((await revoke(t, other, foreign.refresh_token)).status).toBe(200);
      expect((await revoke(t, app, foreign.refresh_token)).status).toBe(200);
      expect((await revoke(t, app, foreign.access_token)).status).toBe(200);
    });
  });

  describe('token_type_hint is only a hint (§2.1)', () => {
    it.each(['access_token', 'refresh_token', 'unknown_type'])('revokes either type with hint %s', async (hint) => {
      const a = await login(t, app, user);
      const b = await login(t, app, user);
      expect((await revoke(t, app, a.refresh_token, { token_type_hint: hint })).status).toBe(200);
      expect((await revoke(t, app, b.access_token, { token_type_hint: hint })).status).toBe(200);
      expect((await introspect(t, resourceServer, a.access_token)).text).toBe(INACTIVE_BODY);
      expect((await introspect(t, resourceServer, b.access_token)).text).toBe(INACTIVE_BODY);
      expect(await isActive(t, resourceServer, b.refresh_token)).toBe(true);
    });

    it('revokes an opaque access token presented with hint refresh_token, and only it', async () => {
      const opaque = await createClient(t, { accessTokenFormat: 'opaque' });
      const session = await login(t, opaque, user);
      expect((await revoke(t, opaque, session.access_token, { token_type_hint: 'refresh_token' })).status).toBe(200);
      expect((await introspect(t, resourceServer, session.access_token)).text).toBe(INACTIVE_BODY);
      expect(await isActive(t, resourceServer, session.refresh_token)).toBe(true);
    });
  });

  it('records the revocations in the audit log, without the token', async () => {
    const session = await login(t, app, user);
    await revoke(t, app, session.access_token);
    await revoke(t, app, session.refresh_token);
    const rows = await t.db.dataSource.query<Array<{ type: string; actor: string; reason: string | null; details: Record<string, unknown> }>>(
      `SELECT type, actor, reason, details FROM audit_events WHERE family_id = $1 AND type <> 'login_succeeded' ORDER BY id`,
      [jwtClaims(session.access_token).sid],
    );
    expect(rows.map((row) => [row.type, row.actor])).toEqual([
      ['access_token_revoked', `client:${app.id}`],
      ['session_revoked', `client:${app.id}`],
    ]);
    expect(rows[0].details).toEqual({ jti: jwtClaims(session.access_token).jti });
    // A second revocation of the same token changes nothing, so records nothing.
    await revoke(t, app, session.access_token);
    expect(await count(`SELECT count(*) AS n FROM audit_events WHERE type = 'access_token_revoked' AND family_id = $1`, [jwtClaims(session.access_token).sid])).toBe(1);
    expect(JSON.stringify(rows)).not.toContain(session.refresh_token);
  });

  it('revokes a burst of distinct access tokens sent at once: each one inactive, each recorded once', async () => {
    const jwts: string[] = [];
    for (let i = 0; i < 60; i++) jwts.push((await token(t, app, { grant_type: 'client_credentials' })).body.access_token as string);
    const jtis = jwts.map((jwt) => jwtClaims(jwt).jti as string);
    // Every token twice: the repeats land in the same or a later write and change nothing.
    const answers = await Promise.all([...jwts, ...jwts].map((jwt) => revoke(t, app, jwt)));
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    for (const jwt of jwts) expect(await isActive(t, resourceServer, jwt)).toBe(false);
    expect(await count(`SELECT count(*) AS n FROM revoked_access_tokens WHERE jti = ANY($1)`, [jtis])).toBe(60);
    expect(await count(`SELECT count(*) AS n FROM revocation_events WHERE kind = 'jti' AND subject = ANY($1)`, [jtis])).toBe(60);
    // Audited by the statement that revoked each one: once, the repeats not at all.
    expect(await count(`SELECT count(DISTINCT details->>'jti') AS n FROM audit_events WHERE type = 'access_token_revoked' AND details->>'jti' = ANY($1)`, [jtis])).toBe(60);
    expect(await count(`SELECT count(*) AS n FROM audit_events WHERE type = 'access_token_revoked' AND details->>'jti' = ANY($1)`, [jtis])).toBe(60);
  });
});
