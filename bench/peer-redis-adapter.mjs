// oidc-provider's storage on Redis, shaped after the provider's example Redis adapter (its
// documented production setup), written for ioredis 5 and Redis >= 7. One adapter per model;
// the ioredis client carries the run's key prefix, so every key below is relative to it.
//
// - A record is a hash: `payload` (the JSON oidc-provider hands us) and, once consumed,
//   `consumed` (epoch seconds). Consuming is one atomic field write that never creates a
//   record that has expired meanwhile.
// - Tokens of a grant are listed in the set `grant:<grantId>`, which lives as long as its
//   longest-lived member, so revokeByGrantId finds them all.
// - Sessions are found by uid and device codes by user code through index keys that expire
//   with their record.
// - destroy deletes the record only, as the example does: a grant set may keep the name of
//   a destroyed token until the set expires, and deleting a missing key is harmless.

/** Models whose records may carry a grantId that revokeByGrantId must reach. */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);

// KEYS[1] the record; ARGV[1] the time of consumption. HSET on an expired record would
// recreate it without a TTL.
const CONSUME = `if redis.call('exists', KEYS[1]) == 1 then redis.call('hset', KEYS[1], 'consumed', ARGV[1]) end`;

const grantKey = (grantId) => `grant:${grantId}`;
const uidKey = (uid) => `uid:${uid}`;
const userCodeKey = (userCode) => `userCode:${userCode}`;

/** `(model) => adapter` for oidc-provider's `adapter` setting, over one ioredis client. */
export function redisAdapter(client) {
  client.defineCommand('consumeRecord', { numberOfKeys: 1, lua: CONSUME });
  return (model) => new RedisAdapter(model, client);
}

export class RedisAdapter {
  constructor(model, client) {
    this.model = model;
    this.client = client;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    // A replaced record loses its old fields (a consumed mark included).
    const multi = this.client.multi().del(key).hset(key, 'payload', JSON.stringify(payload));
    if (expiresIn) multi.expire(key, expiresIn);
    if (GRANTABLE.has(this.model) && payload.grantId) {
      const grant = grantKey(payload.grantId);
      multi.sadd(grant, key);
      // The set outlives every member: NX gives a new set its first TTL, GT only ever extends
      // it; a member without expiry makes the set permanent. No read before the write.
      if (expiresIn) multi.expire(grant, expiresIn, 'NX').expire(grant, expiresIn, 'GT');
      else multi.persist(grant);
    }
    if (payload.uid && this.model === 'Session') this.index(multi, uidKey(payload.uid), id, expiresIn);
    if (payload.userCode) this.index(multi, userCodeKey(payload.userCode), id, expiresIn);
    await multi.exec();
  }

  index(multi, key, id, expiresIn) {
    if (expiresIn) multi.set(key, id, 'EX', expiresIn);
    else multi.set(key, id);
  }

  async find(id) {
    if (!id) return undefined;
    const [payload, consumed] = await this.client.hmget(this.key(id), 'payload', 'consumed');
    if (payload === null) return undefined;
    const record = JSON.parse(payload);
    return consumed === null ? record : { ...record, consumed: Number(consumed) };
  }

  async findByUid(uid) {
    return this.find(await this.client.get(uidKey(uid)));
  }

  async findByUserCode(userCode) {
    return this.find(await this.client.get(userCodeKey(userCode)));
  }

  async consume(id) {
    await this.client.consumeRecord(this.key(id), Math.floor(Date.now() / 1000));
  }

  async destroy(id) {
    await this.client.del(this.key(id));
  }

  async revokeByGrantId(grantId) {
    const grant = grantKey(grantId);
    const members = await this.client.smembers(grant);
    await this.client.del(grant, ...members);
  }
}
