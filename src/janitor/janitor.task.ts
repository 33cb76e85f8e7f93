import { Inject, Injectable, Logger } from '@nestjs/common';
import { PeriodicTask } from '../common/periodic-task.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { describeCounts, JanitorService } from './janitor.service.js';

const FIRST_PASS_AFTER_MS = 5 * 60_000;

/**
 * The janitor on a timer in every server process (JANITOR_INTERVAL; 0 turns it off).
 * Processes that tick together do not clean together: the one that gets the lease runs
 * the pass and the others skip it.
 */
@Injectable()
export class JanitorTask extends PeriodicTask {
  protected readonly logger = new Logger('janitor');
  protected readonly everyMs: number;
  private first: NodeJS.Timeout | undefined;

  constructor(
    private readonly janitor: JanitorService,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    super();
    this.everyMs = config.janitorInterval * 1000;
  }

  override onApplicationBootstrap(): void {
    if (this.everyMs <= 0) return;
    super.onApplicationBootstrap();
    // A first pass soon after boot, so processes restarted more often than the interval
    // (deploys, autoscaling) still clean.
    this.first = setTimeout(() => void this.sweep(), Math.min(this.everyMs, FIRST_PASS_AFTER_MS));
    this.first.unref();
  }

  override onApplicationShutdown(): void {
    clearTimeout(this.first);
    super.onApplicationShutdown();
  }

  protected async run(): Promise<number> {
    const counts = await this.janitor.runOnce();
    if (!counts) return 0;
    const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
    if (total > 0) this.logger.log(`deleted ${describeCounts(counts)}`);
    return total;
  }
}
