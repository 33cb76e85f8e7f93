import { ConfigError, loadConfig } from './config.js';

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, '/');
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('revocation view and introspection settings', () => {
  it('default to a 1 s poll, a 5 s staleness bound and 10000 cached entries', () => {
    const config = loadConfig({}, '/');
    expect(config.revocationPollIntervalMs).toBe(1_000);
    expect(config.revocationMaxStalenessMs).toBe(5_000);
    expect(config.introspectionCacheSize).toBe(10_000);
  });

  it('are read from the environment', () => {
    const config = loadConfig(
      { REVOCATION_POLL_INTERVAL_MS: '250', REVOCATION_MAX_STALENESS_MS: '2000', INTROSPECTION_CACHE_SIZE: '0' },
      '/',
    );
    expect([config.revocationPollIntervalMs, config.revocationMaxStalenessMs, config.introspectionCacheSize]).toEqual([250, 2_000, 0]);
  });

  it.each([
    [{ REVOCATION_POLL_INTERVAL_MS: '10' }, 'REVOCATION_POLL_INTERVAL_MS must be an integer from 50 to 60000 (got "10")'],
    [{ REVOCATION_MAX_STALENESS_MS: 'soon' }, 'REVOCATION_MAX_STALENESS_MS must be an integer from 100 to 600000 (got "soon")'],
    [{ INTROSPECTION_CACHE_SIZE: '-1' }, 'INTROSPECTION_CACHE_SIZE must be an integer from 0 to 1000000 (got "-1")'],
    [
      { REVOCATION_POLL_INTERVAL_MS: '5000', REVOCATION_MAX_STALENESS_MS: '5000' },
      'REVOCATION_MAX_STALENESS_MS must be greater than REVOCATION_POLL_INTERVAL_MS (5000) (got "5000")',
    ],
  ])('refuses %j', (env, message) => {
    expect(refusal(env).message).toBe(message);
  });
});
