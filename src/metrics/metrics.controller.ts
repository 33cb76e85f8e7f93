import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { inClusterWorker, joinClusterMetrics, scrapeCluster } from './cluster-metrics.js';
import { PrometheusMetrics } from './prometheus-metrics.js';

@ApiTags('operations')
@Controller()
export class MetricsController {
  private readonly clustered = inClusterWorker();

  constructor(private readonly metrics: PrometheusMetrics) {
    if (this.clustered) joinClusterMetrics(metrics.registry);
  }

  @Get('metrics')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'Text exposition format 0.0.4: request latency by route, tokens issued, rotations, grace hits, reuse and revocations by reason, introspection cache hits, database pool, process. With WORKERS > 1 the sum over all workers.',
  })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'the metrics', schema: { type: 'string' } })
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const { registry } = this.metrics;
    const text = this.clustered ? await scrapeCluster() : await registry.metrics();
    reply.header('Content-Type', registry.contentType).header('Cache-Control', 'no-store');
    return text;
  }
}
