import { BrowserAgent, type BrowserResult, cookie } from '../factories/browser.js';
import { createClient, createUser, type TestClient, type TestUser } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const ORIGIN = 'http://app.example.test:8080';
const DEVICE_COOKIE = '__Host-tessera-device';
// Three failures per account+IP (or per device) answered at once; eight per account from all IPs per 10 min.
const SETTINGS = { TRUST_PROXY: '1', LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_MAX: '60', LOGIN_ACCOUNT_MAX_FAILURES: '8', LOGIN_ACCOUNT_WINDOW: '600' };

let ipSequence = 0;
/** A client address no other test uses, the one X-Forwarded-For entry the one trusted proxy hop adds. */
const freshIp = () => `203.0.113.${++ipSequence}`;

/**
 * Issue 19, weak point 5: account lockout as a denial of service. Failures from many
 * addresses lock an account from every address it has not logged in from; a browser that
 * logged in before carries a device cookie (OWASP "Slow Down Online Guessing Attacks with
 * Device Cookies") and keeps its own budget, so the owner logs in while the attack goes on.
 */
describe('login throttle: device cookies', () => {
  let t: TestApp;
  let spa: TestClient;

  beforeAll(async () => {
    t = await startTestApp(SETTINGS);
    spa = await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read'], origins: [ORIGIN] });
  });
  afterAll(async () => {
    await t.close();
  });

  /** POST /auth/login from `ip` in `browser` (a fresh one: no cookies). */
  async function attempt(username: string, password: string, ip: string, browser = new BrowserAgent(t, ORIGIN)): Promise<BrowserResult> {
    await browser.request('GET', '/auth/csrf', { headers: { 'x-forwarded-for': ip } });
    return browser.request('POST', '/auth/login', { form: { username, password, client_id: spa.id }, headers: { 'x-forwarded-for': ip } });
  }

  /** The distributed attack of the issue: failures from as many addresses as the account limit, none throttled per IP. */
  async function lockOut(user: TestUser): Promise<void> {
    for (let i = 0; i < 8; i++) expect((await attempt(user.username, `guess-${i}`, freshIp())).status).toBe(400);
    expect((await attempt(user.username, user.password, freshIp())).status).toBe(429);
  }

  /** A browser where the user logged in once, from an address the attack will not come from. */
  async function ownersBrowser(user: TestUser): Promise<BrowserAgent> {
    const browser = new BrowserAgent(t, ORIGIN);
    expect((await attempt(user.username, user.password, freshIp(), browser)).status).toBe(200);
    return browser;
  }

  it('a successful browser login sets a signed __Host- device cookie: HttpOnly, Secure, SameSite=Strict, without the username', async () => {
    const user = await createUser(t);
    const browser = new BrowserAgent(t, ORIGIN);
    const result = await attempt(user.username, user.password, freshIp(), browser);
    const device = cookie(result, DEVICE_COOKIE);
    expect(device.raw).toBe(`${DEVICE_COOKIE}=${device.value}; Path=/; Max-Age=${30 * 86_400}; HttpOnly; Secure; SameSite=Strict`);
    expect(device.value).toMatch(/^[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}$/);
    expect(device.value).not.toContain(user.username);
    // A failed login sets none.
    expect((await attempt(user.username, 'wrong', freshIp())).setCookies.map((c) => c.name)).not.toContain(DEVICE_COOKIE);
  });

  it('the repro: the owner keeps logging in from a new address while the account is locked, other browsers stay out', async () => {
    const user = await createUser(t);
    const owner = await ownersBrowser(user);
    await lockOut(user);

    // Today's behaviour was 429 here: the lock held the owner out from any address it had not used.
    expect((await attempt(user.username, user.password, freshIp(), owner)).status).toBe(200);
    // The attack goes on; the owner is still in, and the account still locked for everyone else.
    await attempt(user.username, 'more-guessing', freshIp());
    expect((await attempt(user.username, user.password, freshIp(), owner)).status).toBe(200);
    expect((await attempt(user.username, user.password, freshIp())).status).toBe(429);
  });

  it('the device cookie also holds for another RFC 8265 form of the username', async () => {
    const user = await createUser(t);
    const owner = await ownersBrowser(user);
    await lockOut(user);
    expect((await attempt(user.username.toUpperCase(), user.password, freshIp(), owner)).status).toBe(200);
  });

  it('a forged or tampered device cookie gives no extra budget', async () => {
    const user = await createUser(t);
    const genuine = (await ownersBrowser(user)).jar.get(DEVICE_COOKIE)!;
    await lockOut(user);
    const [nonce, expires, mac] = genuine.split('.');
    const flipped = `${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
    for (const forged of [`${nonce}.${expires}.${flipped}`, `${nonce}.${Number(expires) + 86_400}.${mac}`, `${'A'.repeat(22)}.${expires}.${mac}`, 'x']) {
      const browser = new BrowserAgent(t, ORIGIN);
      browser.jar.set(DEVICE_COOKIE, forged);
      expect({ forged, status: (await attempt(user.username, user.password, freshIp(), browser)).status }).toEqual({ forged, status: 429 });
    }
  });

  it("another user's device cookie gives nothing", async () => {
    const victim = await createUser(t);
    const attacker = await createUser(t);
    const attackersBrowser = await ownersBrowser(attacker);
    await lockOut(victim);
    expect((await attempt(victim.username, victim.password, freshIp(), attackersBrowser)).status).toBe(429);
  });

  it('an expired device cookie gives nothing', async () => {
    const user = await createUser(t);
    const owner = await ownersBrowser(user);
    t.clock.advance(30 * 86_400);
    await lockOut(user);
    expect((await attempt(user.username, user.password, freshIp(), owner)).status).toBe(429);
  });

  it('a stolen device cookie buys LOGIN_MAX_FAILURES guesses, then is locked out itself, with waits that double', async () => {
    const user = await createUser(t);
    const stolen = (await ownersBrowser(user)).jar.get(DEVICE_COOKIE)!;
    await lockOut(user);
    const thief = new BrowserAgent(t, ORIGIN);
    thief.jar.set(DEVICE_COOKIE, stolen);
    for (let i = 0; i < 3; i++) expect((await attempt(user.username, `thief-${i}`, freshIp(), thief)).status).toBe(400);
    for (let i = 0; i < 3; i++) {
      const refused = await attempt(user.username, user.password, freshIp(), thief);
      expect({ status: refused.status, retryAfter: refused.headers.get('retry-after') }).toEqual({ status: 429, retryAfter: '1' });
    }
    t.clock.advance(1);
    expect((await attempt(user.username, 'thief-again', freshIp(), thief)).status).toBe(400);
    expect((await attempt(user.username, user.password, freshIp(), thief)).headers.get('retry-after')).toBe('2');
  });
});
