import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { type Family, FamilyStore, type RevocationReason } from './family.js';

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
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async revoke(ids: readonly string[], reason: RevocationReason, actor: string): Promise<Family[]> {
    const revoked = await this.families.revoke(ids, reason, actor, new Date(this.clock.now()));
    await this.recorded(revoked, reason, actor);
    return revoked;
  }

  /** Records families that the store revoked as part of another transaction. */
  async recorded(families: readonly Family[], reason: RevocationReason, actor: string): Promise<void> {
    if (families.length === 0) return;
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
