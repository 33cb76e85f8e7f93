import { AuditService } from '../../src/audit/audit.service.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const USER = '0b0f5c1e-8a57-4c35-9d1e-3f8b6a1c2d4e';

/** The audit log read by client and counted per hour, as the console's events page reads it. */
describe('audit log: by client, and per hour', () => {
  let t: TestApp;
  let audit: AuditService;

  beforeAll(async () => {
    t = await startTestApp();
    audit = t.app.get(AuditService);
    // 2026-01-01T00:00Z, then 00:59:59, 01:00:00 and 03:30: hours are cut at the hour, in UTC.
    await audit.record({ type: 'login_succeeded', clientId: 'phone-app', userId: USER }, { type: 'login_succeeded', clientId: 'web-app' });
    t.clock.advance(3_599);
    await audit.record({ type: 'session_revoked', clientId: 'phone-app', userId: USER }, { type: 'user_created', userId: USER });
    t.clock.advance(1);
    await audit.record({ type: 'login_succeeded', clientId: 'phone-app' }, { type: 'refresh_token_reuse_detected', clientId: 'web-app', reason: 'after_grace' });
    t.clock.advance(2.5 * 3_600);
    await audit.record({ type: 'login_succeeded', clientId: 'phone-app', userId: USER });
  });
  afterAll(async () => {
    await t.close();
  });

  const since = new Date('2026-01-01T00:00:00Z');
  const until = new Date('2026-01-01T04:00:00Z');
  const counted = async (filter: { userId?: string; clientId?: string; since?: Date; until?: Date } = {}) =>
    (await audit.countByHour(['login_succeeded', 'session_revoked', 'refresh_token_reuse_detected'], { since, until, ...filter })).map(
      ({ hour, type, count }) => `${hour.toISOString().slice(11, 13)}h ${type} ${count}`,
    );

  it('filters by client, alone or with the other filters, newest first', async () => {
    const phone = await audit.query({ clientId: 'phone-app' }, { limit: 10 });
    expect(phone.items.map((e) => e.type)).toEqual(['login_succeeded', 'login_succeeded', 'session_revoked', 'login_succeeded']);
    const phoneLogins = await audit.query({ clientId: 'phone-app', type: 'login_succeeded', userId: USER }, { limit: 10 });
    expect(phoneLogins.items.map((e) => e.occurredAt.toISOString())).toEqual(['2026-01-01T03:30:00.000Z', '2026-01-01T00:00:00.000Z']);
    expect((await audit.query({ clientId: 'no-such-app' }, { limit: 10 })).items).toEqual([]);
  });

  it('counts the asked types per UTC hour and type in one read, hours without any left out', async () => {
    expect(await counted()).toEqual([
      '00h login_succeeded 2',
      '00h session_revoked 1',
      '01h login_succeeded 1',
      '01h refresh_token_reuse_detected 1',
      '03h login_succeeded 1',
    ]);
  });

  it('counts under the user and client filters, from `since` included to `until` excluded', async () => {
    expect(await counted({ userId: USER })).toEqual(['00h login_succeeded 1', '00h session_revoked 1', '03h login_succeeded 1']);
    expect(await counted({ clientId: 'web-app' })).toEqual(['00h login_succeeded 1', '01h refresh_token_reuse_detected 1']);
    expect(await counted({ since: new Date('2026-01-01T00:59:59Z'), until: new Date('2026-01-01T03:30:00Z') })).toEqual([
      '00h session_revoked 1',
      '01h login_succeeded 1',
      '01h refresh_token_reuse_detected 1',
    ]);
  });
});
