import { Inject, Injectable } from '@nestjs/common';
import type { StoredAuditEvent } from '../audit/audit-event.js';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../common/clock.js';
import type { Keyset, Page } from '../common/page.js';
import { type Chart, CHART_TYPES, chartOf, chartWindow } from './events-chart.js';
import type { EventsFilter } from './events-filter.js';

export const EVENTS_PER_PAGE = 50;

export interface EventsView {
  readonly events: Page<StoredAuditEvent>;
  readonly chart: Chart;
}

/**
 * The console's security events: a page of the audit log and the hourly chart beside it,
 * both under the same filters (the chart counts its own types, whatever the type filter).
 */
@Injectable()
export class ConsoleEventsService {
  constructor(
    private readonly audit: AuditService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async read(filter: EventsFilter, after: Keyset | undefined): Promise<EventsView> {
    const { userId, clientId, since, until } = filter.audit;
    const window = chartWindow(this.clock.now(), since, until);
    const [events, counts] = await Promise.all([
      this.audit.query(filter.audit, { limit: EVENTS_PER_PAGE, ...(after ? { after } : {}) }),
      window.hours === 0 ? [] : this.audit.countByHour(CHART_TYPES, { userId, clientId, since: window.since, until: window.until }),
    ]);
    return { events, chart: chartOf(window, counts) };
  }
}
