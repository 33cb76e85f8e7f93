import { Inject, Injectable, Logger } from '@nestjs/common';
import { PeriodicTask } from '../common/periodic-task.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { RefreshTokensService } from './refresh-tokens.service.js';

/**
 * Wipes each sealed successor soon after its grace window closes, so the database does
 * not keep even the encrypted form of a live token longer than the window needs.
 */
@Injectable()
export class GraceSweeper extends PeriodicTask {
  protected readonly logger = new Logger('grace-sweeper');
  protected readonly everyMs: number;

  constructor(
    private readonly refreshTokens: RefreshTokensService,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    super();
    this.everyMs = Math.max(1, Math.ceil(config.refreshReuseGrace / 2)) * 1000;
  }

  protected run(): Promise<number> {
    return this.refreshTokens.wipeClosedGraceWindows();
  }
}
