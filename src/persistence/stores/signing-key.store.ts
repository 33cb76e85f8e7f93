import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, MoreThan, type Repository } from 'typeorm';
import type { SigningAlg } from '../../config/config.js';
import { SigningKeyStore, type StoredSigningKey } from '../../oauth/keys/signing-key.js';
import { SigningKeyEntity } from '../entities/signing-key.entity.js';
import { execute, insertUnique } from '../sql.js';

@Injectable()
export class PgSigningKeyStore extends SigningKeyStore {
  private readonly keys: Repository<SigningKeyEntity>;

  constructor(private readonly dataSource: DataSource) {
    super();
    this.keys = dataSource.getRepository(SigningKeyEntity);
  }

  async findActive(): Promise<StoredSigningKey | undefined> {
    const key = await this.keys.findOneBy({ retiredAt: IsNull() });
    return key ? toKey(key) : undefined;
  }

  async findPublishable(now: Date): Promise<StoredSigningKey[]> {
    const keys = await this.keys.find({
      where: [{ retiredAt: IsNull() }, { expiresAt: MoreThan(now) }],
      order: { createdAt: 'DESC' },
    });
    return keys.map(toKey);
  }

  async activate(key: StoredSigningKey, retiredUntil: Date): Promise<void> {
    await insertUnique(`active signing key`, () =>
      this.dataSource.transaction(async (m) => {
        await m.update(SigningKeyEntity, { retiredAt: IsNull() }, { retiredAt: key.createdAt, expiresAt: retiredUntil });
        await execute(
          m,
          `INSERT INTO signing_keys (kid, alg, public_jwk, private_key_sealed, created_at) VALUES ($1, $2, $3, $4, $5)`,
          [key.kid, key.alg, JSON.stringify(key.publicJwk), key.privateKeySealed, key.createdAt],
        );
      }),
    );
  }
}

function toKey(entity: SigningKeyEntity): StoredSigningKey {
  return { ...entity, alg: entity.alg as SigningAlg };
}
