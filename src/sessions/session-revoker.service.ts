import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../common/clock.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { Metrics } from '../metrics/metrics.js';
import { type Family, FamilyStore, type RevocationReason } from './family.js';
import { clientRevocationRelevantUntil, revocationRelevantUntil } from './revocation-event.js';
import { RevocationView } from './revocation-view.service.js';

/**
 * Every way a session ends goes through here, so each ending is recorded the same way:
 * who ended it and why. Reuse and expiry end a family inside the rotation transaction
 * (the store applies them under the same lock) and are reported through `recorded`.
 */
@Injectable()
export class SessionRevoker {
  constructor(
    private readonly families: FamilyStore,
    private readonly audit: AuditService,
    private readonly view: RevocationView,
    private readonly metrics: Metrics,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async revoke(ids: readonly string[], reason: RevocationReason, actor: string): Promise<Family[]> {
    const now = this.clock.now();
    const until = this.relevantUntil(now);
    // Audited by the revocation's own commit.
    return this.learned(await this.families.revoke(ids, reason, actor, new Date(now), until), reason, until);
  }

  /**
   * Ends the session of the refresh token with this hash if `clientId` is its client, in
   * one statement (RFC 7009 for a refresh token): the family it ended, or undefined when it
   * ended none (see FamilyStore.revokeByToken).
   */
  async revokeByToken(tokenHash: Buffer, clientId: string, reason: RevocationReason, actor: string): Promise<Family | undefined> {
    const now = this.clock.now();
    const until = this.relevantUntil(now);
    const revoked = await this.families.revokeByToken(tokenHash, clientId, reason, actor, new Date(now), until);
    return this.learned(revoked ? [revoked] : [], reason, until)[0];
  }

  /**
   * Families this process has just revoked, audited by the same commit. Introspection in
   * this process shows the revocation at once (CONTRACT "Access tokens"), without a read
   * of the feed; other processes hear of it through NOTIFY or their next poll.
   */
  private learned(revoked: Family[], reason: RevocationReason, until: Date): Family[] {
    if (revoked.length > 0) this.metrics.sessionsRevoked(reason, revoked.length);
    for (const family of revoked) this.view.committed('family', family.id, until);
    return revoked;
  }

  /** Ends every live session of a user (disabled user, "log out everywhere"). */
  async revokeAllOf(userId: string, reason: RevocationReason, actor: string): Promise<Family[]> {
    return this.revoke(await this.families.liveIdsOfUser(userId), reason, actor);
  }

  /** Ends every live session of a user but those in `keep` (the browser that asked, e.g. after its own password change). */
  async revokeAllOfExcept(userId: string, keep: ReadonlySet<string>, reason: RevocationReason, actor: string): Promise<Family[]> {
    return this.revoke((await this.families.liveIdsOfUser(userId)).filter((id) => !keep.has(id)), reason, actor);
  }

  /** Until when the revocation events of a revocation made now matter (see revocationRelevantUntil). */
  relevantUntil(nowMs: number = this.clock.now()): Date {
    return revocationRelevantUntil(nowMs, this.config.accessTokenTtl);
  }

  /** Until when the deletion of a client made now matters (see clientRevocationRelevantUntil). */
  clientRelevantUntil(nowMs: number = this.clock.now()): Date {
    return clientRevocationRelevantUntil(nowMs, this.config.accessTokenTtl, this.config.revocationMaxStalenessMs);
  }

  /** Once this process's view has read the feed (a revocation just committed here shows at once). */
  async caughtUp(): Promise<void> {
    await this.view.catchUp().catch(() => undefined);
  }

  /** Records families that the store revoked as part of another transaction (which audits none). */
  async recorded(families: readonly Family[], reason: RevocationReason, actor: string): Promise<void> {
    if (families.length === 0) return;
    this.metrics.sessionsRevoked(reason, families.length);
    // Introspection in this process shows the revocation at once (CONTRACT "Access
    // tokens"); other processes hear of it through NOTIFY or their next poll.
    await this.view.catchUp().catch(() => undefined);
    await this.audit.record(
      ...families.map((family) => ({
        type: 'session_revoked' as const,
        actor,
        reason,
        userId: family.userId,
        clientId: family.clientId,
        familyId: family.id,
      })),
    );
  }
}
