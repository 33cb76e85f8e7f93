import { BrowserAgent } from '../factories/browser.js';
import { createClient, createUser, type HttpResult, postForm, type TestClient, type TestUser } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { describeOnPostgres } from '../setup/database.js';

const ORIGIN = 'http://app.example.test:8080';
const THROTTLED = { error: 'temporarily_unavailable', error_description: 'too many failed attempts, retry later' };
// Three failures per account+IP answered at once, then 1, 2, 4 … s; eight per account from all IPs per 10 min.
const SETTINGS = { TRUST_PROXY: 'true', LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_MAX: '60', LOGIN_ACCOUNT_MAX_FAILURES: '8', LOGIN_ACCOUNT_WINDOW: '600' };

let ipSequence = 0;
/** A client address no other test uses, sent through X-Forwarded-For (TRUST_PROXY=true). */
const freshIp = () => `198.51.100.${++ipSequence}`;

function attempt(t: Pick<TestApp, 'url'>, client: TestClient, ip: string, username: string, password: string): Promise<HttpResult> {
  return postForm(t, '/oauth/token', { grant_type: 'password', username, password }, { authorization: client.basic, 'x-forwarded-for': ip });
}

async function fail(t: TestApp, client: TestClient, ip: string, username: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const result = await attempt(t, client, ip, username, `wrong-password-${i}`);
    if (result.status !== 400) throw new Error(`failure ${i + 1} answered ${result.status} ${result.text}`);
  }
}

function expectThrottled(result: HttpResult, retryAfter?: number): void {
  expect(result.status).toBe(429);
  expect(result.body).toEqual(THROTTLED);
  expect(result.headers.get('cache-control')).toBe('no-store');
  const seconds = Number(result.headers.get('retry-after'));
  expect(Number.isInteger(seconds) && seconds >= 1).toBe(true);
  if (retryAfter !== undefined) expect(seconds).toBe(retryAfter);
}

/** README "Brute force": failed logins per account+IP and per account, in Postgres. */
describe('login throttle', () => {
  let t: TestApp;
  let client: TestClient;

  beforeAll(async () => {
    t = await startTestApp(SETTINGS);
    client = await createClient(t);
  });
  afterAll(async () => { await t.close(); });

  it('answers 429 with Retry-After after the free failures, doubling, and lets the right password in once it has passed', async () => {
    const user = await createUser(t);
    const ip = freshIp();
    await fail(t, client, ip, user.username, 3);
    // Even the right password waits: the answer must not tell a guesser it was right.
    expectThrottled(await attempt(t, client, ip, user.username, user.password), 1);
    t.clock.advance(1);
    await fail(t, client, ip, user.username, 1);
    expectThrottled(await attempt(t, client, ip, user.username, 'x-wrong-password'), 2);
    t.clock.advance(1);
    expectThrottled(await attempt(t, client, ip, user.username, user.password), 1);
    t.clock.advance(1);
    expect((await attempt(t, client, ip, user.username, user.password)).status).toBe(200);
  });

  it('counts Retry-After down with the clock and caps the wait at LOGIN_LOCKOUT_MAX', async () => {
    const user = await createUser(t);
    const ip = freshIp();
    // 80 s apart: past each wait (at most 64 s) and, over all, past one account window.
    for (let i = 0; i < 8; i++) {
      await fail(t, client, ip, user.username, 1);
      t.clock.advance(80);
    }
    await fail(t, client, ip, user.username, 1); // the 9th failure: 2^6 s, capped at 60
    expectThrottled(await attempt(t, client, ip, user.username, user.password), 60);
    t.clock.advance(45);
    expectThrottled(await attempt(t, client, ip, user.username, user.password), 15);
    t.clock.advance(15);
    expect((await attempt(t, client, ip, user.username, user.password)).status).toBe(200);
  });

  it('a success resets the account+IP counter', async () => {
    const user = await createUser(t);
    const ip = freshIp();
    await fail(t, client, ip, user.username, 2);
    expect((await attempt(t, client, ip, user.username, user.password)).status).toBe(200);
    await fail(t, client, ip, user.username, 2);
    expect((await attempt(t, client, ip, user.username, user.password)).status).toBe(200);
  });

  it('a flood against one account from one IP locks neither other accounts from that IP nor that account from another IP', async () => {
    const victim = await createUser(t);
    const other = await createUser(t);
    const ip = freshIp();
    await fail(t, client, ip, victim.username, 3);
    for (let i = 0; i < 5; i++) expectThrottled(await attempt(t, client, ip, victim.username, 'guess-again'));
    expect((await attempt(t, client, ip, other.username, other.password)).status).toBe(200);
    expect((await attempt(t, client, freshIp(), victim.username, victim.password)).status).toBe(200);
  });

  it('locks the account from every IP at LOGIN_ACCOUNT_MAX_FAILURES, except an IP it logged in from, until the window ends', async () => {
    const user = await createUser(t);
    const home = freshIp();
    expect((await attempt(t, client, home, user.username, user.password)).status).toBe(200);
    // A distributed attack: two failures from each of four addresses, never throttled per IP.
    for (let i = 0; i < 4; i++) await fail(t, client, freshIp(), user.username, 2);
    expectThrottled(await attempt(t, client, freshIp(), user.username, user.password), 600);
    expect((await attempt(t, client, home, user.username, user.password)).status).toBe(200);
    t.clock.advance(600);
    expect((await attempt(t, client, freshIp(), user.username, user.password)).status).toBe(200);
  });

  it('throttles a username that does not exist exactly like one that does, and case variants share one budget', async () => {
    const user = await createUser(t);
    const ip = freshIp();
    const ghost = `Nobody-${user.username}`;
    await fail(t, client, ip, user.username.toUpperCase(), 3);
    await fail(t, client, ip, ghost, 3);
    const existing = await attempt(t, client, ip, user.username, 'another-guess');
    const unknown = await attempt(t, client, ip, ghost.toLowerCase(), 'another-guess');
    expectThrottled(existing, 1);
    expectThrottled(unknown, 1);
    expect(existing.text).toBe(unknown.text);
  });

  it('stores no username, only its keyed hash, and every row expires', async () => {
    const user = await createUser(t);
    await fail(t, client, freshIp(), user.username, 1);
    const rows = await t.db.dataSource.query<unknown[]>(`SELECT username_key, ip, expires_at FROM login_throttle`);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows as Array<{ username_key: Buffer; expires_at: Date }>) {
      expect(row.username_key).toHaveLength(32);
      expect(row.username_key.toString('utf8')).not.toContain(user.username);
      expect(row.expires_at).toBeInstanceOf(Date);
    }
  });

  it('throttles /auth/login with the same state and the same 429 body as the password grant', async () => {
    const spa = await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read'], origins: [ORIGIN] });
    const user: TestUser = await createUser(t);
    const ip = freshIp();
    const browser = new BrowserAgent(t, ORIGIN);
    await browser.fetchCsrf();
    const browserLogin = (password: string) =>
      browser.request('POST', '/auth/login', { form: { username: user.username, password, client_id: spa.id }, headers: { 'x-forwarded-for': ip } });
    expect((await browserLogin('wrong-once')).status).toBe(400);
    await fail(t, client, ip, user.username, 2);
    const refused = await browserLogin(user.password);
    expectThrottled(refused, 1);
    expect(refused.setCookies.filter((c) => c.name.includes('refresh'))).toEqual([]);
    expect(refused.headers.get('access-control-expose-headers')).toContain('Retry-After');
    t.clock.advance(1);
    expect((await browserLogin(user.password)).status).toBe(200);
  });

  it('records a login_throttled event when a failure starts a wait, and none for refused attempts', async () => {
    const user = await createUser(t);
    const ip = freshIp();
    const count = async () => (await t.db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'login_throttled' AND ip = $1`, [ip]))[0].n;
    await fail(t, client, ip, user.username, 2);
    expect(await count()).toBe(0);
    await fail(t, client, ip, user.username, 1);
    expect(await count()).toBe(1);
    for (let i = 0; i < 3; i++) expectThrottled(await attempt(t, client, ip, user.username, 'refused'));
    expect(await count()).toBe(1);
  });
});

describeOnPostgres('login throttle across processes', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp(SETTINGS);
    b = await startTestApp(SETTINGS, { db: a.db, clock: a.clock });
  });
  afterAll(async () => {
    await b?.app.close();
    await a?.close();
  });

  it('shares the counters of one database between two instances', async () => {
    const client = await createClient(a);
    const user = await createUser(a);
    const ip = freshIp();
    await fail(a, client, ip, user.username, 2);
    await fail(b, client, ip, user.username, 1);
    expectThrottled(await attempt(a, client, ip, user.username, user.password), 1);
    expectThrottled(await attempt(b, client, ip, user.username, user.password), 1);
    // Two failures racing on two instances are both counted.
    a.clock.advance(1);
    await Promise.all([fail(a, client, ip, user.username, 1), fail(b, client, ip, user.username, 1)]);
    expectThrottled(await attempt(b, client, ip, user.username, user.password), 4);
  });
});
