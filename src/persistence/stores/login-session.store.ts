import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type LoginSession, type LoginSessionEnd, LoginSessionStore, type Reauthentication } from '../../interaction/login-session.js';
import { execute } from '../sql.js';

interface SessionRow {
  id: string;
  user_id: string;
  auth_time: Date;
  amr: string[];
  created_at: Date;
  last_seen_at: Date;
  idle_expires_at: Date;
  absolute_expires_at: Date;
  ip: string | null;
  user_agent: string | null;
}

const SESSION = 'id, user_id, auth_time, amr, created_at, last_seen_at, idle_expires_at, absolute_expires_at, ip, user_agent';
const S = SESSION.split(', ').map((column) => `s.${column}`).join(', ');

// One statement per page view: the session is found, checked live (not ended, within
// both expiries, its user enabled) and its idle expiry slid, or nothing happens.
const TOUCH = `
  UPDATE login_sessions s
     SET last_seen_at = $2, idle_expires_at = least($2 + make_interval(secs => $3), s.absolute_expires_at)
    FROM users u
   WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.idle_expires_at > $2 AND s.absolute_expires_at > $2
     AND u.id = s.user_id AND u.disabled_at IS NULL
  RETURNING ${S}`;

@Injectable()
export class PgLoginSessionStore extends LoginSessionStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async insert(session: LoginSession, tokenHash: Buffer): Promise<void> {
    await execute(
      this.dataSource,
      `INSERT INTO login_sessions (token_hash, ${SESSION}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [tokenHash, session.id, session.userId, session.authTime, [...session.amr], session.createdAt, session.lastSeenAt, session.idleExpiresAt,
        session.absoluteExpiresAt, session.ip, session.userAgent],
    );
  }

  async touch(tokenHash: Buffer, now: Date, idleSeconds: number): Promise<LoginSession | undefined> {
    const { rows } = await execute<SessionRow>(this.dataSource, TOUCH, [tokenHash, now, idleSeconds]);
    return rows[0] && toSession(rows[0]);
  }

  async reauthenticate(id: string, login: Reauthentication): Promise<LoginSession | undefined> {
    const { rows } = await execute<SessionRow>(
      this.dataSource,
      `UPDATE login_sessions SET token_hash = $2, auth_time = $3, last_seen_at = $3, idle_expires_at = $4, absolute_expires_at = $5, amr = $6
        WHERE id = $1 AND ended_at IS NULL
       RETURNING ${SESSION}`,
      [id, login.tokenHash, login.now, login.idleExpiresAt, login.absoluteExpiresAt, [...login.amr]],
    );
    return rows[0] && toSession(rows[0]);
  }

  async end(id: string, reason: LoginSessionEnd, now: Date): Promise<boolean> {
    const { affected } = await execute(
      this.dataSource,
      `UPDATE login_sessions SET ended_at = $3, ended_reason = $2 WHERE id = $1 AND ended_at IS NULL`,
      [id, reason, now],
    );
    return affected === 1;
  }

  async endAllOf(userId: string, reason: LoginSessionEnd, now: Date, keepId?: string): Promise<number> {
    const { affected } = await execute(
      this.dataSource,
      `UPDATE login_sessions SET ended_at = $3, ended_reason = $4
        WHERE user_id = $1 AND ended_at IS NULL AND ($2::uuid IS NULL OR id <> $2::uuid)`,
      [userId, keepId ?? null, now, reason],
    );
    return affected;
  }

  async liveFamilyIds(id: string): Promise<string[]> {
    const { rows } = await execute<{ id: string }>(
      this.dataSource,
      `SELECT id FROM families WHERE login_session_id = $1 AND revoked_at IS NULL`,
      [id],
    );
    return rows.map((row) => row.id);
  }
}

function toSession(row: SessionRow): LoginSession {
  return {
    id: row.id,
    userId: row.user_id,
    authTime: row.auth_time,
    amr: row.amr,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    idleExpiresAt: row.idle_expires_at,
    absoluteExpiresAt: row.absolute_expires_at,
    ip: row.ip,
    userAgent: row.user_agent,
  };
}
