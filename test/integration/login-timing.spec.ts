import { performance } from 'node:perf_hooks';
import { BrowserAgent } from '../factories/browser.js';
import { createClient, createUser, type HttpResult, postForm, type TestClient, type TestUser } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const ORIGIN = 'http://app.example.test:8080';
const ROUNDS = 41;
const WARM_UP = 3;
// Up to three measurements of 44 rounds of argon2 logins on a loaded machine.
const MEASURING_TIMEOUT_MS = 240_000;

let ipSequence = 0;
const freshIp = () => `10.${Math.floor(++ipSequence / 250)}.${ipSequence % 250}.7`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

interface Case {
  readonly name: string;
  readonly run: () => Promise<HttpResult>;
}

interface Timings {
  /** per case: the median latency in ms */
  readonly medians: Record<string, number>;
  /** per case: the median of its latency over its round's mean latency */
  readonly relative: Record<string, number>;
  /** per case: every distinct answer (status, Retry-After, body) */
  readonly answers: Record<string, Set<string>>;
}

/**
 * Runs every case ROUNDS times, interleaved: each round runs every case once, in a
 * rotated order, after unmeasured warm-up rounds. The machine's load drifts (other test
 * files run alongside), and a round lasts a fraction of a second, so dividing each
 * latency by its round's mean removes the drift that all cases share; a difference that
 * belongs to one case (argon2 skipped, an extra query) stays.
 */
async function measure(cases: readonly Case[]): Promise<Timings> {
  const samples: Record<string, number[]> = Object.fromEntries(cases.map((c) => [c.name, []]));
  const relative: Record<string, number[]> = Object.fromEntries(cases.map((c) => [c.name, []]));
  const answers: Record<string, Set<string>> = Object.fromEntries(cases.map((c) => [c.name, new Set<string>()]));
  for (let round = 0; round < WARM_UP + ROUNDS; round++) {
    const times: Array<[string, number]> = [];
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(round + i) % cases.length];
      const started = performance.now();
      const result = await c.run();
      times.push([c.name, performance.now() - started]);
      answers[c.name].add(`${result.status} ${result.headers.get('retry-after') ?? '-'} ${result.text}`);
    }
    if (round < WARM_UP) continue;
    const mean = times.reduce((sum, [, ms]) => sum + ms, 0) / times.length;
    for (const [name, ms] of times) {
      samples[name].push(ms);
      relative[name].push(ms / mean);
    }
  }
  const medianOf = (all: Record<string, number[]>) => Object.fromEntries(Object.entries(all).map(([name, values]) => [name, median(values)]));
  return { medians: medianOf(samples), relative: medianOf(relative), answers };
}

function spread(values: Record<string, number>): number {
  const all = Object.values(values);
  return (Math.max(...all) - Math.min(...all)) / Math.max(...all);
}

/**
 * Two estimates of how far apart the cases' medians are: the raw medians, and the
 * medians relative to their rounds. On a machine shared with other test files each alone
 * has been seen just past 20% while the other stayed near 8%, so the better one counts.
 */
function spreadOf({ medians, relative }: Timings): number {
  const rounded = Object.fromEntries(Object.entries(medians).map(([name, ms]) => [name, Number(ms.toFixed(1))]));
  console.log(`login medians (ms): ${JSON.stringify(rounded)}, spread ${(spread(medians) * 100).toFixed(1)}%; relative to their rounds: spread ${(spread(relative) * 100).toFixed(1)}%`);
  return Math.min(spread(medians), spread(relative));
}

/**
 * Measures the cases until their medians are within 20% of each other, at most three
 * times. A real difference is systematic (argon2 skipped for one case: several times
 * faster, about 66% apart) and fails every measurement; a burst of load on a shared
 * machine (the argon2 thread runs at a lower priority) rarely spoils three in a row.
 */
async function expectWithin20Percent(cases: readonly Case[]): Promise<Timings> {
  let best = Number.POSITIVE_INFINITY;
  let timings: Timings | undefined;
  for (let attempt = 0; attempt < 3 && best > 0.2; attempt++) {
    timings = await measure(cases);
    best = Math.min(best, spreadOf(timings));
  }
  expect(best).toBeLessThanOrEqual(0.2);
  return timings!;
}

/**
 * Unknown user, wrong password and disabled user are one answer at one cost (argon2 on
 * every path, verifyDummy for the unknown one); a throttled name is one answer at no
 * argon2 cost, existing or not. The only timing assertions of the suite.
 */
describe('login answers and their latency do not reveal whether a username exists', () => {
  let t: TestApp;
  let client: TestClient;
  let spa: TestClient;
  let user: TestUser;
  let disabled: TestUser;

  beforeAll(async () => {
    // A fresh IP per attempt and a high account threshold: the unthrottled cases stay unthrottled.
    t = await startTestApp({ TRUST_PROXY: 'true', LOGIN_ACCOUNT_MAX_FAILURES: '100000' });
    client = await createClient(t);
    spa = await createClient(t, { type: 'public', grantTypes: ['password', 'refresh_token'], scopes: ['read'], origins: [ORIGIN] });
    user = await createUser(t);
    disabled = await createUser(t);
    await t.db.dataSource.query(`UPDATE users SET disabled_at = now() WHERE id = $1`, [disabled.user.id]);
  });
  afterAll(async () => { await t.close(); });

  const passwordGrant = (username: string, password: string, ip = freshIp()) =>
    postForm(t, '/oauth/token', { grant_type: 'password', username, password }, { authorization: client.basic, 'x-forwarded-for': ip });

  it('unknown user, wrong password, disabled user: the same 400 invalid_grant, medians within 20%', async () => {
    const timings = await expectWithin20Percent([
      { name: 'unknown user', run: () => passwordGrant(`nobody-${user.username}`, 'some-password-1') },
      { name: 'wrong password', run: () => passwordGrant(user.username, 'some-password-1') },
      { name: 'disabled user', run: () => passwordGrant(disabled.username, disabled.password) },
    ]);
    const distinct = new Set(Object.values(timings.answers).flatMap((set) => [...set]));
    expect([...distinct]).toEqual(['400 - {"error":"invalid_grant","error_description":"invalid username or password"}']);
  }, MEASURING_TIMEOUT_MS);

  it('a throttled existing user and a throttled unknown username: the same 429, medians within 20%', async () => {
    const ip = freshIp();
    const ghost = `ghost-${user.username}`;
    for (const name of [user.username, ghost]) {
      for (let i = 0; i < 5; i++) expect((await passwordGrant(name, `wrong-${i}`, ip)).status).toBe(400);
    }
    const timings = await expectWithin20Percent([
      { name: 'locked existing user', run: () => passwordGrant(user.username, user.password, ip) },
      { name: 'locked unknown user', run: () => passwordGrant(ghost, 'any-password', ip) },
    ]);
    const distinct = new Set(Object.values(timings.answers).flatMap((set) => [...set]));
    expect([...distinct]).toEqual(['429 1 {"error":"temporarily_unavailable","error_description":"too many failed attempts, retry later"}']);
  }, MEASURING_TIMEOUT_MS);

  it('/auth/login answers an unknown user, a wrong password and a disabled user alike', async () => {
    const browser = new BrowserAgent(t, ORIGIN);
    await browser.fetchCsrf();
    const attempt = (username: string, password: string) =>
      browser.request('POST', '/auth/login', { form: { username, password, client_id: spa.id }, headers: { 'x-forwarded-for': freshIp() } });
    const results = [
      await attempt(`nobody-${user.username}`, 'some-password-1'),
      await attempt(user.username, 'some-password-1'),
      await attempt(disabled.username, disabled.password),
    ];
    expect(new Set(results.map((r) => `${r.status} ${r.text}`))).toEqual(
      new Set(['400 {"error":"invalid_grant","error_description":"invalid username or password"}']),
    );
  });
});
