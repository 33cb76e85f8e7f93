import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, type Clock } from '../../common/clock.js';
import { PeriodicTask } from '../../common/periodic-task.js';
import { REVOCATION_MARGIN_SECONDS } from '../../sessions/revocation-event.js';
import { AccessTokenStore } from './access-token.js';

/** Deletes opaque access tokens once they have expired (plus the clock-skew margin). */
@Injectable()
export class OpaqueTokenSweeper extends PeriodicTask {
  protected readonly logger = new Logger('opaque-token-sweeper');
  protected readonly everyMs = 60_000;

  constructor(
    private readonly store: AccessTokenStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    super();
  }

  protected run(): Promise<number> {
    return this.store.deleteExpiredOpaque(new Date(this.clock.now() - REVOCATION_MARGIN_SECONDS * 1000));
  }
}
