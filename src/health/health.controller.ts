import { Controller, Get, Inject, Optional, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { DatabaseClock } from '../common/database-clock.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { inRecovery, migrationsUpToDate } from '../persistence/data-source.js';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Operation } from '../http/openapi.js';

const Health = z.object({ status: z.string() }).meta({ id: 'Health' });

@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Optional() @Inject(DatabaseClock) private readonly clock: DatabaseClock | undefined,
  ) {}

  /** The process is up. */
  @Get('healthz')
  @Operation({ summary: 'Liveness: the process is up', returns: Health, fails: [] })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * The database answers, is a primary, every migration is applied, and this process's
   * clock is within CLOCK_SKEW_MAX_SECONDS of the database's: ready for traffic.
   */
  @Get('readyz')
  @Operation({ summary: 'Readiness: the database answers, is not a standby, every migration is applied, and the clock agrees with the database', returns: Health, fails: [] })
  @ApiResponse({
    status: 503,
    description: 'migrations pending, the database a read-only standby, or unreachable (with Retry-After), or the clock too far off',
    standardSchema: Health,
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ status: string }> {
    try {
      // A standby answers reads but refuses every write, and lags its primary.
      if (await inRecovery(this.dataSource)) {
        reply.status(503).header('Retry-After', '1');
        return { status: 'database is a read-only standby' };
      }
      const skew = this.clock?.skewRefusal(this.config.clockSkewMax);
      if (skew) {
        reply.status(503);
        return { status: skew };
      }
      if (await migrationsUpToDate(this.dataSource)) return { status: 'ready' };
      reply.status(503);
      return { status: 'migrations pending' };
    } catch {
      reply.status(503).header('Retry-After', '1');
      return { status: 'database unreachable' };
    }
  }
}
