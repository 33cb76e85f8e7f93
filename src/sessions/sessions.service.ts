import { Injectable } from '@nestjs/common';
import type { Page, PageRequest } from '../common/page.js';
import { type Family, FamilyStore, type RevocationReason } from './family.js';
import { SessionRevoker } from './session-revoker.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Sessions as admins and their owners see them; every ending goes through the SessionRevoker. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly families: FamilyStore,
    private readonly revoker: SessionRevoker,
  ) {}

  listOfUser(userId: string, page: PageRequest, liveOnly = false): Promise<Page<Family>> {
    return this.families.listOfUser(userId, page, liveOnly);
  }

  /** The session, or undefined when it does not exist (or the id cannot be one). */
  find(id: string): Promise<Family | undefined> {
    return UUID.test(id) ? this.families.findById(id) : Promise.resolve(undefined);
  }

  /** Ends one session; an already ended one stays as it was. */
  async revoke(family: Family, reason: RevocationReason, actor: string): Promise<void> {
    await this.revoker.revoke([family.id], reason, actor);
  }

  /** Ends every live session of the user; returns how many ended. */
  async revokeAllOf(userId: string, reason: RevocationReason, actor: string): Promise<number> {
    return (await this.revoker.revokeAllOf(userId, reason, actor)).length;
  }
}
