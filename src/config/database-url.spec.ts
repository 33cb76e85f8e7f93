import { ConfigError, loadConfig } from './config.js';
import { databaseTargets, describeServers } from './database-url.js';

describe('a DATABASE_URL with several hosts (libpq semantics)', () => {
  it('lists the hosts in order, with their ports, 5432 by default, IPv6 without brackets', () => {
    expect(databaseTargets('postgres://tessera:s3cret@h1:5433,10.0.0.2,[::1]:6000,[fd00::7]/tessera?sslmode=require')).toEqual({
      hosts: [
        { host: 'h1', port: 5433 },
        { host: '10.0.0.2', port: 5432 },
        { host: '::1', port: 6000 },
        { host: 'fd00::7', port: 5432 },
      ],
      targetSessionAttrs: 'read-write',
      firstHostUrl: 'postgres://tessera:s3cret@h1:5433/tessera?sslmode=require',
    });
  });

  it('takes target_session_attrs any, read-write or primary; read-write when several hosts leave it out', () => {
    const attrs = (url: string) => databaseTargets(url)?.targetSessionAttrs;
    expect(attrs('postgres://a,b/db')).toBe('read-write');
    expect(attrs('postgres://a,b/db?target_session_attrs=any')).toBe('any');
    expect(attrs('postgres://a:1,b:2/db?target_session_attrs=read-write')).toBe('read-write');
    expect(attrs('postgresql://a,b/db?connect_timeout=3&target_session_attrs=primary')).toBe('primary');
    // One host with the setting: checked as asked.
    expect(databaseTargets('postgres://a/db?target_session_attrs=primary')).toEqual({
      hosts: [{ host: 'a', port: 5432 }],
      targetSessionAttrs: 'primary',
      firstHostUrl: 'postgres://a/db?target_session_attrs=primary',
    });
  });

  it('leaves a one-host URL without the setting to the driver as it is', () => {
    expect(databaseTargets('postgres://tessera@db.internal:5432/tessera')).toBeUndefined();
    expect(databaseTargets('postgres:///tessera?host=/var/run/postgresql')).toBeUndefined();
  });

  it('names the servers for messages, never the credentials', () => {
    expect(describeServers('postgres://u:pw@h1,[::1]:5433/db?target_session_attrs=primary')).toBe('h1:5432,[::1]:5433/db');
    expect(describeServers('postgres://u:pw@[::1]/db')).toBe('[::1]:5432/db');
    expect(describeServers('postgres://u:pw@db.internal:6432/tessera')).toBe('db.internal:6432/tessera');
  });

  it.each([
    ['a standby-only target_session_attrs', 'postgres://u:pw@a,b/db?target_session_attrs=standby', 'target_session_attrs is one of any, read-write, primary'],
    ['an unknown target_session_attrs', 'postgres://u:pw@a,b/db?target_session_attrs=yes', 'target_session_attrs is one of any, read-write, primary'],
    ['an empty host in the list', 'postgres://u:pw@a,,b/db', 'no empty host'],
    ['a bad port', 'postgres://u:pw@a:5432,b:99999/db', 'with an optional :port'],
    ['an unclosed IPv6 bracket', 'postgres://u:pw@a,[::1/db', 'with an optional :port'],
  ])('refuses %s at boot, naming DATABASE_URL and never the URL', (_case, url, reason) => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: url });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/^DATABASE_URL must be a URL/);
    expect(message).toContain(reason);
    expect(message).not.toContain('pw');
  });

  it('accepts the multi-host form in DATABASE_URL and DATABASE_LISTEN_URL, kept as written', () => {
    const url = 'postgres://tessera@h1:5432,h2:5433/tessera?target_session_attrs=read-write';
    const config = loadConfig({ DATABASE_URL: url, DATABASE_LISTEN_URL: url });
    expect([config.databaseUrl, config.databaseListenUrl]).toEqual([url, url]);
  });
});
