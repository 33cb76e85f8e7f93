import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { inRecovery, migrationsUpToDate } from '../persistence/data-source.js';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Operation } from '../http/openapi.js';

const Health = z.object({ status: z.string() }).meta({ id: 'Health' });

@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(private readonly dataSource: DataSource) {}

  /** The process is up. */
  @Get('healthz')
  @Operation({ summary: 'Liveness: the process is up', returns: Health, fails: [] })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** The database answers, is a primary, and every migration is applied: ready for traffic. */
  @Get('readyz')
  @Operation({ summary: 'Readiness: the database answers, is not a standby, and every migration is applied', returns: Health, fails: [] })
  @ApiResponse({
    status: 503,
    description: 'migrations pending, the database a read-only standby, or unreachable (with Retry-After)',
    standardSchema: Health,
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ status: string }> {
    try {
      // A standby answers reads but refuses every write, and lags its primary.
      if (await inRecovery(this.dataSource)) {
        reply.status(503).header('Retry-After', '1');
        return { status: 'database is a read-only standby' };
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
