import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { BackchannelLogoutSender } from '../../src/backchannel/backchannel-logout.sender.js';
import { SessionRevoker } from '../../src/sessions/session-revoker.service.js';
import { rows } from '../factories/admin.js';
import { createClient, createUser, login } from '../factories/index.js';
import { metricValue, scrape } from '../factories/metrics.js';
import { jwtClaims } from '../factories/resource-server.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { FakeClock } from '../setup/clock.js';

/** SSRF: in production a logout token goes only to a public address, unless allowed by setting. */
describe('back-channel logout in production', () => {
  let t: TestApp;
  let sender: BackchannelLogoutSender;
  let connections = 0;
  let trap: Server;
  let port: number;

  beforeAll(async () => {
    t = await startTestApp({ NODE_ENV: 'production', ISSUER: 'https://tessera.test' }, { clock: new FakeClock(Date.now()) });
    sender = t.app.get(BackchannelLogoutSender);
    sender.onApplicationShutdown();
    // Counts connections: none may ever arrive.
    trap = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    port = (trap.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => trap.close(resolve));
    await t.close();
  });

  it('refuses plain http at registration', async () => {
    await expect(createClient(t, { backchannelLogoutUri: `http://127.0.0.1:${port}/bc` })).rejects.toThrow(/only https/);
  });

  it.each(['localhost', '127.0.0.1', '[::1]'])('never connects to %s, gives the delivery up and audits it', async (host) => {
    const client = await createClient(t, { grantTypes: ['password', 'refresh_token'], scopes: ['read'], backchannelLogoutUri: `https://${host}:${port}/bc` });
    const user = await createUser(t);
    const sid = jwtClaims((await login(t, client, user)).access_token).sid as string;
    const before = metricValue(await scrape(t), 'tessera_backchannel_deliveries_total', { result: 'refused' });
    await t.app.get(SessionRevoker).revoke([sid], 'admin', 'admin:test');
    await sender.sweep();
    expect(connections).toBe(0);
    const [row] = await rows<{ gave_up_at: Date | null; last_error: string }>(t, `SELECT gave_up_at, last_error FROM backchannel_logouts WHERE sid = $1`, [sid]);
    expect(row.gave_up_at).not.toBeNull();
    expect(row.last_error).toMatch(/private, loopback or link-local/);
    expect(metricValue(await scrape(t), 'tessera_backchannel_deliveries_total', { result: 'refused' })).toBe(before + 1);
    const events = await rows<{ reason: string }>(t, `SELECT reason FROM audit_events WHERE type = 'backchannel_logout_failed' AND client_id = $1`, [client.id]);
    expect(events).toEqual([{ reason: 'forbidden_address' }]);
  });
});
