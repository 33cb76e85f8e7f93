// The Redis the second peer stores in: the server of REDIS_URL, under a key prefix of this
// run's own, whose keys `drop()` deletes at the end (as createDatabase's database is dropped).
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * Connects once to check that Redis answers, and reads its version. Throws when it does
 * not answer within `timeoutMs`: the caller skips the Redis peer.
 */
export async function openRedisPrefix(url, { timeoutMs = 2_000 } = {}) {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  // connect() rejects with "Connection is closed"; the cause (ECONNREFUSED, a timeout) comes
  // as an event, which ioredis would also print were nobody listening.
  let cause;
  client.on('error', (error) => (cause ??= error));
  try {
    await client.connect();
    const info = await client.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? null;
    const prefix = `tessera-bench:${randomBytes(6).toString('hex')}:`;
    return { url, prefix, version, drop: () => dropPrefix(client, prefix) };
  } catch (error) {
    client.disconnect();
    throw cause ?? error;
  }
}

/** Deletes every key under `prefix`, then closes the connection; the number deleted. */
async function dropPrefix(client, prefix) {
  let deleted = 0;
  try {
    const stream = client.scanStream({ match: `${prefix}*`, count: 1_000 });
    for await (const keys of stream) {
      if (keys.length) deleted += await client.unlink(...keys);
    }
  } finally {
    client.disconnect();
  }
  return deleted;
}
