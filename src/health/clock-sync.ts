import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DatabaseClock } from '../common/database-clock.js';
import { PeriodicTask } from '../common/periodic-task.js';
import { Metrics } from '../metrics/metrics.js';

/** A healthy time service keeps a host within milliseconds; a second means it is not working. */
const WARN_SECONDS = 1;

/**
 * Measures the process's clock against the database's every minute (the first time at
 * boot, before the application was built), so the DatabaseClock follows drift and steps.
 * One warning when the two drift more than a second apart, and another only after they
 * came back together. Nothing to do when the clock is injected uncorrected (tests).
 */
@Injectable()
export class ClockSync extends PeriodicTask {
  protected readonly logger = new Logger('clock');
  protected readonly everyMs = 60_000;
  private warned = false;

  constructor(@Optional() @Inject(DatabaseClock) private readonly clock: DatabaseClock | undefined, metrics: Metrics) {
    super();
    if (clock) metrics.clockOffset(() => clock.offsetSeconds);
  }

  override onApplicationBootstrap(): void {
    if (!this.clock) return;
    this.report(this.clock);
    super.onApplicationBootstrap();
  }

  protected async run(): Promise<number> {
    if (!this.clock) return 0;
    await this.clock.measure();
    this.report(this.clock);
    return 0;
  }

  private report(clock: DatabaseClock): void {
    const off = Math.abs(clock.offsetSeconds) > WARN_SECONDS;
    if (off && !this.warned) {
      this.logger.warn(`this process's clock is ${clock.describeOffset()}: Tessera follows the database's; check the host's time service`);
    }
    this.warned = off;
  }
}
