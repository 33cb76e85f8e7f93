import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, MoreThan, type Repository } from 'typeorm';
import type { SigningAlg } from '../../config/config.js';
import { type KeyChange, KeyPendingError, SigningKeyStore, type StoredSigningKey } from '../../oauth/keys/signing-key.js';
import { SigningKeyEntity } from '../entities/signing-key.entity.js';
import { execute, insertUnique } from '../sql.js';

const INSERT = `INSERT INTO signing_keys (kid, alg, public_jwk, private_key_sealed, created_at, activates_at, activation_audited)
  VALUES ($1, $2, $3, $4, $5, $6, $7)`;

@Injectable()
export class PgSigningKeyStore extends SigningKeyStore {
  private readonly keys: Repository<SigningKeyEntity>;

  constructor(private readonly dataSource: DataSource) {
    super();
    this.keys = dataSource.getRepository(SigningKeyEntity);
  }

  async findNewest(): Promise<StoredSigningKey | undefined> {
    const key = await this.keys.findOneBy({ retiredAt: IsNull() });
    return key ? toKey(key) : undefined;
  }

  async findPublishable(now: Date): Promise<StoredSigningKey[]> {
    const keys = await this.keys.find({
      where: [{ retiredAt: IsNull() }, { expiresAt: MoreThan(now) }],
      order: { activatesAt: 'DESC' },
    });
    return keys.map(toKey);
  }

  async createFirst(key: StoredSigningKey): Promise<void> {
    await insertUnique('active signing key', () => execute(this.dataSource, INSERT, [...columns(key), true]));
  }

  async addPending(key: StoredSigningKey, now: Date, retiredUntil: Date): Promise<string> {
    return this.dataSource.transaction(async (m) => {
      // The row lock serialises concurrent rotations: the second one finds no active key
      // left to retire (only the first one's pending key) and is refused.
      const retired = await execute<{ kid: string }>(
        m,
        `UPDATE signing_keys SET retired_at = $1, expires_at = $2, retirement_audited = false
          WHERE retired_at IS NULL AND activates_at <= $3 RETURNING kid`,
        [key.activatesAt, retiredUntil, now],
      );
      if (retired.affected === 0) {
        const pending = await m.findOneBy(SigningKeyEntity, { retiredAt: IsNull() });
        if (pending) throw new KeyPendingError(pending.kid, pending.activatesAt);
        throw new Error('no active signing key to rotate');
      }
      await execute(m, INSERT, [...columns(key), false]);
      return retired.rows[0].kid;
    });
  }

  async claimChanges(now: Date): Promise<KeyChange[]> {
    const activated = await execute<{ kid: string; at: Date }>(
      this.dataSource,
      `UPDATE signing_keys SET activation_audited = true WHERE NOT activation_audited AND activates_at <= $1 RETURNING kid, activates_at AS at`,
      [now],
    );
    const retired = await execute<{ kid: string; at: Date }>(
      this.dataSource,
      `UPDATE signing_keys SET retirement_audited = true WHERE NOT retirement_audited AND expires_at <= $1 RETURNING kid, expires_at AS at`,
      [now],
    );
    return [
      ...activated.rows.map((row) => ({ change: 'activated' as const, kid: row.kid, at: new Date(row.at) })),
      ...retired.rows.map((row) => ({ change: 'retired' as const, kid: row.kid, at: new Date(row.at) })),
    ];
  }
}

function columns(key: StoredSigningKey): unknown[] {
  return [key.kid, key.alg, JSON.stringify(key.publicJwk), key.privateKeySealed, key.createdAt, key.activatesAt];
}

function toKey(entity: SigningKeyEntity): StoredSigningKey {
  const { activationAudited: _a, retirementAudited: _r, ...key } = entity;
  return { ...key, alg: entity.alg as SigningAlg };
}
