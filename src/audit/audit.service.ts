import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import type { Page, PageRequest } from '../common/page.js';
import { type AuditEvent, type AuditFilter, AuditStore, type StoredAuditEvent } from './audit-event.js';

type Draft = Omit<AuditEvent, 'occurredAt'>;

// 9 parameters a row: far below Postgres' 65,535 bind parameters.
const MAX_BATCH = 500;

@Injectable()
export class AuditService {
  private readonly logger = new Logger('audit');
  private readonly waiting: Array<{ events: AuditEvent[]; done(): void }> = [];
  private writing = false;

  constructor(
    private readonly store: AuditStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Records events. An audit write that fails is logged, never turned into a failed
   * login or refresh: the security decision has already been committed.
   *
   * Writes are grouped: while one INSERT is in flight, the events recorded meanwhile
   * wait and then go in a single INSERT (at most MAX_BATCH rows), so a burst of
   * revocations costs a few commits instead of one each. Resolves once the events are
   * written (or the failure logged).
   */
  record(...drafts: Draft[]): Promise<void> {
    const occurredAt = new Date(this.clock.now());
    const events = drafts.map((draft) => ({ ...draft, occurredAt }));
    return new Promise((resolve) => {
      this.waiting.push({ events, done: resolve });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const batch: Array<{ events: AuditEvent[]; done(): void }> = [];
      let rows = 0;
      while (this.waiting.length > 0 && (batch.length === 0 || rows + this.waiting[0].events.length <= MAX_BATCH)) {
        const next = this.waiting.shift()!;
        rows += next.events.length;
        batch.push(next);
      }
      const events = batch.flatMap((entry) => entry.events);
      try {
        await this.store.append(events);
      } catch (error) {
        this.logger.error(`could not record ${events.map((e) => e.type).join(', ')}: ${(error as Error).message}`);
      }
      for (const entry of batch) entry.done();
    }
    this.writing = false;
  }

  /** The audit log, newest first. */
  query(filter: AuditFilter, page: PageRequest): Promise<Page<StoredAuditEvent>> {
    return this.store.query(filter, page);
  }
}
