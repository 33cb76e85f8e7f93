import { Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { poolStats } from '../persistence/pool-stats.js';
import { MetricsController } from './metrics.controller.js';
import { Metrics } from './metrics.js';
import { PrometheusMetrics } from './prometheus-metrics.js';

/** GET /metrics, and the Metrics port every module counts its events through. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    { provide: PrometheusMetrics, useFactory: (dataSource: DataSource) => new PrometheusMetrics(() => poolStats(dataSource)), inject: [DataSource] },
    { provide: Metrics, useExisting: PrometheusMetrics },
  ],
  exports: [Metrics, PrometheusMetrics],
})
export class MetricsModule {}
