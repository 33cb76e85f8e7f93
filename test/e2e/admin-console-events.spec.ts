import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AuditService } from '../../src/audit/audit.service.js';
import { createClient, createUser, login, type TestClient, type TestUser, token } from '../factories/index.js';
import { startAtOwnIssuer, type TestApp } from '../setup/app.js';
import { launchChromium, screenshot } from '../setup/chromium.js';
import { expectAccessible, signInToConsole } from '../setup/console-browser.js';

const HOUR = 3_600_000;
const sidOf = (accessToken: string) => (JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as { sid: string }).sid;
/** What an `<input type="datetime-local">` holds for this instant, read as UTC (minutes: what the form sends). */
const localInput = (ms: number) => new Date(ms).toISOString().slice(0, 16);

type Filters = Partial<Record<'user' | 'client' | 'from' | 'to', string>>;

/**
 * The console's security events as an admin meets them, in Debian's Chromium (headless):
 * a replayed refresh token shows as a highlighted reuse detection with its reason, its
 * user and its session; the filters by client and time narrow the list, and the chart's
 * table counts what the test did, hour by hour. Time is the server's FakeClock.
 */
describe('the console\'s security events in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let phoneApp: TestClient;
  let webApp: TestClient;
  let alice: TestUser;
  let bob: TestUser;
  /** the start of the UTC hour the tests begin in */
  let firstHour: number;

  beforeAll(async () => {
    t = await startAtOwnIssuer({});
    // Ten minutes into the next hour: the few minutes a test moves the clock stay in its hour.
    firstHour = Math.floor(t.clock.now() / HOUR) * HOUR + HOUR;
    t.clock.advance((firstHour + 10 * 60_000 - t.clock.now()) / 1000);
    phoneApp = await createClient(t, { id: 'phone-app', grantTypes: ['password', 'refresh_token'], scopes: ['read'] });
    webApp = await createClient(t, { id: 'web-app', grantTypes: ['password', 'refresh_token'], scopes: ['read'] });
    const admin = await createUser(t, { username: 'admin', admin: true });
    alice = await createUser(t, { username: 'alice' });
    bob = await createUser(t, { username: 'bob' });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 800, height: 900 } });
    page = await signInToConsole(context, t.url, admin);
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
  });

  /** Fills the events page's filter form as an admin would, submits it, and waits for the filtered page. */
  async function filter(fields: Filters): Promise<void> {
    await page.goto(`${t.url}/console/events`);
    const labels = { user: 'User id', client: 'Client id', from: 'From (UTC)', to: 'To (UTC, included)' } as const;
    for (const [name, label] of Object.entries(labels)) await page.getByLabel(label, { exact: true }).fill(fields[name as keyof Filters] ?? '');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((url) => Object.keys(labels).every((name) => url.searchParams.get(name) === (fields[name as keyof Filters] ?? '')));
  }

  /** The events listed, newest first, as "type@client". */
  const listed = async () =>
    Promise.all(
      (await page.locator('section[aria-labelledby="events-title"] li.item').all()).map(async (item) => {
        const client = item.locator('dt:text-is("Client") + dd');
        return `${await item.locator('.item-title strong').textContent()}@${(await client.count()) > 0 ? await client.textContent() : '-'}`;
      }),
    );

  /** The chart's data table: each hour listed, with its logins, reuse detections and revocations. */
  const chartTable = async () => {
    const table = page.getByRole('table', { name: /Events per hour/ });
    expect(await table.locator('thead th').allTextContents()).toEqual(['Hour', 'Logins', 'Reuse detections', 'Revocations']);
    return Promise.all(
      (await table.locator('tbody tr').all()).map(async (row) => [await row.locator('time').getAttribute('datetime'), ...(await row.locator('td').allTextContents())].join(' ')),
    );
  };
  const at = (ms: number) => new Date(ms).toISOString();

  it('a replayed refresh token: the reuse detection is highlighted with its reason, its user and its session, and charted', async () => {
    // A second between events: the list's order is the order of their times.
    t.clock.advance(1);
    await login(t, webApp, alice, 'read');
    t.clock.advance(3_600);
    await login(t, webApp, alice, 'read');
    t.clock.advance(1);
    await login(t, phoneApp, alice, 'read');
    t.clock.advance(2 * 3_600);
    await login(t, webApp, alice, 'read');
    t.clock.advance(1);
    const first = await login(t, phoneApp, alice, 'read');
    expect((await token(t, phoneApp, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).status).toBe(200);
    t.clock.advance(60); // past REFRESH_REUSE_GRACE: the old token again is a reuse
    expect((await token(t, phoneApp, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).body.error).toBe('invalid_grant');
    const sid = sidOf(first.access_token);

    await filter({ user: alice.user.id });
    const reuse = page.locator('li.item.alert');
    expect(await reuse.count()).toBe(1);
    expect(await reuse.locator('.item-title strong').textContent()).toBe('refresh_token_reuse_detected');
    // Not by colour alone: a badge says it.
    expect(await reuse.locator('.badge').textContent()).toBe('reuse detected');
    const reason = await reuse.locator('dt:text-is("Reason") + dd').textContent();
    expect(reason).toBe('a rotated refresh token was presented again after the grace window (after_grace)');
    expect(await reuse.getByRole('link', { name: alice.user.id }).getAttribute('href')).toBe(`/console/users/${alice.user.id}`);
    expect(await reuse.getByRole('link', { name: sid }).getAttribute('href')).toBe(`/console/users/${alice.user.id}#session-${sid}`);
    expect(await listed()).toEqual([
      'session_revoked@phone-app',
      'refresh_token_reuse_detected@phone-app',
      'login_succeeded@phone-app',
      'login_succeeded@web-app',
      'login_succeeded@phone-app',
      'login_succeeded@web-app',
      'login_succeeded@web-app',
      'user_created@-',
    ]);

    // One login the first hour, two the next, none the one after; then two, the reuse and the revocation it caused.
    expect(await chartTable()).toEqual([
      `${at(firstHour)} 1 0 0`,
      `${at(firstHour + HOUR)} 2 0 0`,
      `${at(firstHour + 3 * HOUR)} 2 1 1`,
    ]);
    expect(await page.locator('figure.chart-logins figcaption').textContent()).toBe('Logins: 5 in all, at most 2 in an hour');
    expect(await page.locator('figure.chart-reuse rect.bar').count()).toBe(1);
    expect(await page.getByRole('img', { name: 'Reuse detections per hour' }).count()).toBe(1);
    await expectAccessible(page);
    await screenshot(page, 'console-events.png');

    // The session's link lands on that session on the user's page.
    await reuse.getByRole('link', { name: sid }).click();
    await page.getByRole('heading', { name: 'alice', exact: true }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#session-${sid}`);
    expect(await page.locator(`li#session-${sid} .badge`).textContent()).toBe('revoked (refresh_token_reuse)');
  });

  it('filters by client and time narrow the list and the chart, and the next page keeps them', async () => {
    t.clock.advance(60);
    const early = t.clock.now();
    await login(t, phoneApp, bob, 'read');
    t.clock.advance(2 * 3_600);
    const late = t.clock.now();
    await login(t, webApp, bob, 'read');

    await filter({ user: bob.user.id });
    expect(await listed()).toEqual(['login_succeeded@web-app', 'login_succeeded@phone-app', 'user_created@-']);
    await filter({ user: bob.user.id, client: 'web-app' });
    expect(await listed()).toEqual(['login_succeeded@web-app']);
    expect(await chartTable()).toEqual([`${at(Math.floor(late / HOUR) * HOUR)} 1 0 0`]);
    await filter({ user: bob.user.id, from: localInput(late - 30 * 60_000) });
    expect(await listed()).toEqual(['login_succeeded@web-app']);
    await filter({ user: bob.user.id, to: localInput(early + 30 * 60_000) });
    expect(await listed()).toEqual(['login_succeeded@phone-app', 'user_created@-']);
    // "To" includes its own minute.
    await filter({ user: bob.user.id, from: localInput(early), to: localInput(early) });
    expect(await listed()).toEqual(['login_succeeded@phone-app']);
    expect(await chartTable()).toEqual([`${at(Math.floor(early / HOUR) * HOUR)} 1 0 0`]);
    expect(await page.getByLabel('From (UTC)').inputValue()).toBe(localInput(early));
    await expectAccessible(page);

    // More than a page (50) of bob's events at web-app: the next page has the same filters.
    await t.app.get(AuditService).record(...Array.from({ length: 50 }, () => ({ type: 'login_failed' as const, userId: bob.user.id, clientId: webApp.id })));
    const filters = { user: bob.user.id, client: webApp.id, from: localInput(late - 30 * 60_000) };
    await filter(filters);
    expect(await listed()).toEqual(Array.from({ length: 50 }, () => 'login_failed@web-app'));
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.waitForURL((url) => url.searchParams.has('cursor'));
    expect(Object.fromEntries([...new URL(page.url()).searchParams].filter(([name]) => name !== 'cursor'))).toEqual(filters);
    expect(await listed()).toEqual(['login_succeeded@web-app']);
    expect(await page.getByLabel('Client id').inputValue()).toBe('web-app');
  });

  it('answers a bad filter with a 400 page that says what is wrong', async () => {
    await filter({ client: 'not a client id' });
    await page.getByRole('heading', { name: 'Something went wrong' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('client must be a client id');
    await expectAccessible(page);
    for (const [query, message] of [
      ['from=2026-02-30T10:00', 'from must be a date and time'],
      ['to=tomorrow', 'to must be a date and time'],
      ['from=2026-03-01T10:00&to=2026-03-01T09:00', 'from must be before to'],
    ]) {
      const response = await page.goto(`${t.url}/console/events?${query}`);
      expect(response!.status()).toBe(400);
      expect(await page.getByRole('alert').textContent()).toContain(message);
    }
  });
});
