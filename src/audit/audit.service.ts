import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import type { Page, PageRequest } from '../common/page.js';
import { WriteGroups } from '../common/write-groups.js';
import { type AuditEvent, type AuditEventType, type AuditFilter, AuditStore, type BoundedAuditFilter, type HourlyCount, type StoredAuditEvent } from './audit-event.js';

type Draft = Omit<AuditEvent, 'occurredAt'>;

// 9 parameters a row: far below Postgres' 65,535 bind parameters.
const MAX_BATCH = 500;

@Injectable()
export class AuditService {
  private readonly logger = new Logger('audit');
  private readonly writes = new WriteGroups<AuditEvent>(async (events) => {
    try {
      await this.store.append(events);
    } catch (error) {
      this.logger.error(`could not record ${events.map((e) => e.type).join(', ')}: ${(error as Error).message}`);
    }
  }, MAX_BATCH);

  constructor(
    private readonly store: AuditStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Records events. An audit write that fails is logged, never turned into a failed
   * login or refresh: the security decision has already been committed.
   *
   * Writes are grouped (WriteGroups, at most MAX_BATCH rows an INSERT), so a burst of
   * revocations costs a few commits instead of one each. Resolves once the events are
   * written (or the failure logged).
   */
  async record(...drafts: Draft[]): Promise<void> {
    const occurredAt = new Date(this.clock.now());
    await this.writes.add(...drafts.map((draft) => ({ ...draft, occurredAt })));
  }

  /** The audit log, newest first. */
  query(filter: AuditFilter, page: PageRequest): Promise<Page<StoredAuditEvent>> {
    return this.store.query(filter, page);
  }

  /** How many events of these types each hour (UTC) of the filter's time saw. */
  countByHour(types: readonly AuditEventType[], filter: BoundedAuditFilter): Promise<HourlyCount[]> {
    return this.store.countByHour(types, filter);
  }
}
