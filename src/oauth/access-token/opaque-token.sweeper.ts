import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CLOCK, type Clock } from '../../common/clock.js';
import { REVOCATION_MARGIN_SECONDS } from '../../sessions/revocation-event.js';
import { AccessTokenStore } from './access-token.js';

const SWEEP_EVERY_MS = 60_000;

/** Deletes opaque access tokens once they have expired (plus the clock-skew margin). */
@Injectable()
export class OpaqueTokenSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('opaque-token-sweeper');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: AccessTokenStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(): Promise<number> {
    try {
      return await this.store.deleteExpiredOpaque(new Date(this.clock.now() - REVOCATION_MARGIN_SECONDS * 1000));
    } catch (error) {
      this.logger.warn(`sweep failed, retrying on the next tick: ${(error as Error).message}`);
      return 0;
    }
  }
}
