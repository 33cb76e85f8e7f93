import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import type { Page, PageRequest } from '../common/page.js';
import { type AuditEvent, type AuditFilter, AuditStore, type StoredAuditEvent } from './audit-event.js';

type Draft = Omit<AuditEvent, 'occurredAt'>;

@Injectable()
export class AuditService {
  private readonly logger = new Logger('audit');

  constructor(
    private readonly store: AuditStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Records events. An audit write that fails is logged, never turned into a failed
   * login or refresh: the security decision has already been committed.
   */
  async record(...drafts: Draft[]): Promise<void> {
    const occurredAt = new Date(this.clock.now());
    try {
      await this.store.append(drafts.map((draft) => ({ ...draft, occurredAt })));
    } catch (error) {
      this.logger.error(`could not record ${drafts.map((d) => d.type).join(', ')}: ${(error as Error).message}`);
    }
  }

  /** The audit log, newest first. */
  query(filter: AuditFilter, page: PageRequest): Promise<Page<StoredAuditEvent>> {
    return this.store.query(filter, page);
  }
}
