import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { RefreshTokensService } from './refresh-tokens.service.js';

/**
 * Wipes each sealed successor soon after its grace window closes, so the database does
 * not keep even the encrypted form of a live token longer than the window needs.
 */
@Injectable()
export class GraceSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('grace-sweeper');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly refreshTokens: RefreshTokensService,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
  ) {}

  onApplicationBootstrap(): void {
    const everyMs = Math.max(1, Math.ceil(this.config.refreshReuseGrace / 2)) * 1000;
    this.timer = setInterval(() => void this.sweep(), everyMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(): Promise<void> {
    try {
      await this.refreshTokens.wipeClosedGraceWindows();
    } catch (error) {
      this.logger.warn(`sweep failed, retrying on the next tick: ${(error as Error).message}`);
    }
  }
}
