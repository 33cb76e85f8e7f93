import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { CLIENT_ID } from '../clients/client-rules.js';
import { type Consent, ConsentStore } from './consent.js';

/** Remembered consents, as the user and the admins see and revoke them. */
@Injectable()
export class ConsentsService {
  constructor(
    private readonly store: ConsentStore,
    private readonly audit: AuditService,
  ) {}

  listOfUser(userId: string): Promise<Consent[]> {
    return this.store.listOfUser(userId);
  }

  /** The client asks again next time. Tokens already issued are not affected (sessions end separately). False when there was none. */
  async revoke(userId: string, clientId: string, actor: string): Promise<boolean> {
    if (!CLIENT_ID.test(clientId) || !(await this.store.revoke(userId, clientId))) return false;
    await this.audit.record({ type: 'consent_revoked', actor, userId, clientId });
    return true;
  }
}
