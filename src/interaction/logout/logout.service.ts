import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../../audit/audit.service.js';
import { CLOCK, type Clock } from '../../common/clock.js';
import { SessionRevoker } from '../../sessions/session-revoker.service.js';
import { type LoginSession, LoginSessionStore } from '../login-session.js';

export interface LogoutMeta {
  /** the client that asked for the logout, if known */
  readonly clientId?: string;
  readonly ip?: string;
}

/**
 * Logging out of Tessera: the login session ends, and with it every family started
 * through it (CONTRACT "OpenID Connect": one login session → its families), each through
 * the one SessionRevoker with reason `logout`, so whatever hears of ended sessions
 * (revocation feed, SSF, back-channel logout) hears of these too.
 */
@Injectable()
export class LogoutService {
  constructor(
    private readonly store: LoginSessionStore,
    private readonly revoker: SessionRevoker,
    private readonly audit: AuditService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Returns how many families ended. */
  async end(session: LoginSession, meta: LogoutMeta): Promise<number> {
    // The session ends first, in its own statement: a code redemption in flight either
    // committed its family before (listed below) or finds the session ended and starts none
    // (see the authorization code store). The families are listed whether or not this call
    // ended the session, so a logout cut short is finished by the next one.
    const ended = await this.store.end(session.id, 'logout', new Date(this.clock.now()));
    const actor = `user:${session.userId}`;
    const revoked = await this.revoker.revoke(await this.store.liveFamilyIds(session.id), 'logout', actor);
    // One logout, one record: the call that ended the session. A logout racing it (or
    // finishing one cut short) may revoke some of the families, each recorded by the
    // revoker, but it is not a second logout.
    if (!ended) return revoked.length;
    await this.audit.record({
      type: 'logged_out',
      actor,
      userId: session.userId,
      clientId: meta.clientId,
      ip: meta.ip,
      details: { login_session_id: session.id, sessions_revoked: revoked.length },
    });
    return revoked.length;
  }
}
