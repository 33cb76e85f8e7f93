import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { migrationsUpToDate } from '../persistence/data-source.js';
import { ApiTags } from '@nestjs/swagger';

@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(private readonly dataSource: DataSource) {}

  /** The process is up. */
  @Get('healthz')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** The database answers and every migration is applied: ready for traffic. */
  @Get('readyz')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ status: string }> {
    try {
      if (await migrationsUpToDate(this.dataSource)) return { status: 'ready' };
      reply.status(503);
      return { status: 'migrations pending' };
    } catch {
      reply.status(503).header('Retry-After', '1');
      return { status: 'database unreachable' };
    }
  }
}
