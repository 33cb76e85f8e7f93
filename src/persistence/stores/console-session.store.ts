import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type ConsoleSession, ConsoleSessionStore, type PendingConsoleSession } from '../../console/console-session.js';
import { execute } from '../sql.js';

// The old state and verifier, taken under the row lock and cleared in the same statement:
// a concurrent claim waits for the lock, then finds state NULL and takes nothing.
const CLAIM = `
  WITH pending AS (
    SELECT id, state, code_verifier, created_at, expires_at FROM console_sessions
     WHERE token_hash = $1 AND state IS NOT NULL AND user_id IS NULL AND expires_at > $2
     FOR UPDATE
  )
  UPDATE console_sessions c SET state = NULL, code_verifier = NULL
    FROM pending WHERE c.id = pending.id
  RETURNING pending.id, pending.state, pending.code_verifier, pending.created_at, pending.expires_at`;

// Live only while the family the console signed in with is: revoking the admin's session,
// disabling the admin or the family's expiry ends the console session too.
const CURRENT = `
  SELECT c.id, c.user_id, c.family_id FROM console_sessions c
    JOIN families f ON f.id = c.family_id
    JOIN users u ON u.id = c.user_id
   WHERE c.token_hash = $1 AND c.expires_at > $2
     AND f.revoked_at IS NULL AND f.idle_expires_at > $2 AND f.absolute_expires_at > $2
     AND u.disabled_at IS NULL`;

@Injectable()
export class PgConsoleSessionStore extends ConsoleSessionStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async insertPending(session: PendingConsoleSession, tokenHash: Buffer): Promise<void> {
    await execute(
      this.dataSource,
      `INSERT INTO console_sessions (id, token_hash, state, code_verifier, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [session.id, tokenHash, session.state, session.codeVerifier, session.createdAt, session.expiresAt],
    );
  }

  async claimPending(tokenHash: Buffer, now: Date): Promise<PendingConsoleSession | undefined> {
    const { rows } = await execute<{ id: string; state: string; code_verifier: string; created_at: Date; expires_at: Date }>(this.dataSource, CLAIM, [tokenHash, now]);
    const row = rows[0];
    return row && { id: row.id, state: row.state, codeVerifier: row.code_verifier, createdAt: row.created_at, expiresAt: row.expires_at };
  }

  async signIn(id: string, tokenHash: Buffer, userId: string, familyId: string, expiresAt: Date): Promise<void> {
    await execute(
      this.dataSource,
      `UPDATE console_sessions SET token_hash = $2, user_id = $3, family_id = $4, expires_at = $5 WHERE id = $1 AND user_id IS NULL`,
      [id, tokenHash, userId, familyId, expiresAt],
    );
  }

  async current(tokenHash: Buffer, now: Date): Promise<ConsoleSession | undefined> {
    const { rows } = await execute<{ id: string; user_id: string; family_id: string }>(this.dataSource, CURRENT, [tokenHash, now]);
    const row = rows[0];
    return row && { id: row.id, userId: row.user_id, familyId: row.family_id };
  }

  async delete(id: string): Promise<void> {
    await execute(this.dataSource, `DELETE FROM console_sessions WHERE id = $1`, [id]);
  }
}
