import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type Passkey, PasskeyChallengeStore, type PasskeyOwner, PasskeyStore } from '../../passkeys/passkey.js';
import { execute, insertUnique } from '../sql.js';

interface PasskeyRow {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: Buffer;
  sign_count: string;
  transports: string[];
  backup_eligible: boolean;
  backed_up: boolean;
  aaguid: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

const COLUMNS = 'id, user_id, credential_id, public_key, sign_count, transports, backup_eligible, backed_up, aaguid, name, created_at, last_used_at';
const C = COLUMNS.split(', ').map((column) => `c.${column}`).join(', ');

@Injectable()
export class PgPasskeyStore extends PasskeyStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async insert(passkey: Passkey): Promise<void> {
    await insertUnique('passkey', () =>
      execute(
        this.dataSource,
        `INSERT INTO webauthn_credentials (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [passkey.id, passkey.userId, passkey.credentialId, Buffer.from(passkey.publicKey), passkey.signCount, passkey.transports, passkey.backupEligible,
          passkey.backedUp, passkey.aaguid, passkey.name, passkey.createdAt, passkey.lastUsedAt],
      ),
    );
  }

  async listOfUser(userId: string): Promise<Passkey[]> {
    const { rows } = await execute<PasskeyRow>(this.dataSource, `SELECT ${COLUMNS} FROM webauthn_credentials WHERE user_id = $1 ORDER BY created_at, id`, [userId]);
    return rows.map(toPasskey);
  }

  async findByCredentialId(credentialId: string): Promise<PasskeyOwner | undefined> {
    const { rows } = await execute<PasskeyRow & { disabled: boolean }>(
      this.dataSource,
      `SELECT ${C}, u.disabled_at IS NOT NULL AS disabled FROM webauthn_credentials c JOIN users u ON u.id = c.user_id WHERE c.credential_id = $1`,
      [credentialId],
    );
    return rows[0] && { passkey: toPasskey(rows[0]), userDisabled: rows[0].disabled };
  }

  // Compare-and-set on the count the verification compared against: of two requests
  // presenting assertions with the same counter, only the first moves it.
  async recordUse(id: string, seenCount: number, use: { signCount: number; backedUp: boolean; at: Date }): Promise<boolean> {
    const { affected } = await execute(
      this.dataSource,
      `UPDATE webauthn_credentials SET sign_count = $3, backed_up = $4, last_used_at = $5 WHERE id = $1 AND sign_count = $2`,
      [id, seenCount, use.signCount, use.backedUp, use.at],
    );
    return affected === 1;
  }

  async delete(userId: string, id: string): Promise<boolean> {
    const { affected } = await execute(this.dataSource, `DELETE FROM webauthn_credentials WHERE id = $1 AND user_id = $2`, [id, userId]);
    return affected === 1;
  }
}

// Deleted by the request that presents it: of two racing with one challenge, one gets the row.
// One that is expired, or bound to another session or browser, is refused and stays for the janitor.
const CONSUME = `DELETE FROM webauthn_challenges WHERE hash = $1 AND binding = $2 AND expires_at > $3 RETURNING 1`;

@Injectable()
export class PgPasskeyChallengeStore extends PasskeyChallengeStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async insert(hash: Buffer, binding: Buffer, expiresAt: Date): Promise<void> {
    await execute(this.dataSource, `INSERT INTO webauthn_challenges (hash, binding, expires_at) VALUES ($1, $2, $3)`, [hash, binding, expiresAt]);
  }

  async consume(hash: Buffer, binding: Buffer, now: Date): Promise<boolean> {
    const { rows } = await execute(this.dataSource, CONSUME, [hash, binding, now]);
    return rows.length === 1;
  }
}

function toPasskey(row: PasskeyRow): Passkey {
  return {
    id: row.id,
    userId: row.user_id,
    credentialId: row.credential_id,
    publicKey: new Uint8Array(row.public_key),
    signCount: Number(row.sign_count),
    transports: row.transports,
    backupEligible: row.backup_eligible,
    backedUp: row.backed_up,
    aaguid: row.aaguid,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}
