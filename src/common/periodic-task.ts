import type { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';

/**
 * Housekeeping on a timer that never keeps the process alive and never throws: a failed
 * run is logged and the next tick tries again.
 */
export abstract class PeriodicTask implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  protected abstract readonly logger: Logger;
  protected abstract readonly everyMs: number;
  protected abstract run(): Promise<number>;

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.everyMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One run now; how many rows it changed, 0 when it failed. */
  async sweep(): Promise<number> {
    try {
      return await this.run();
    } catch (error) {
      this.logger.warn(`run failed, retrying on the next tick: ${(error as Error).message}`);
      return 0;
    }
  }
}
