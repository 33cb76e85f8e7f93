import { Module } from '@nestjs/common';
import { ClockSync } from './clock-sync.js';
import { HealthController } from './health.controller.js';

@Module({ controllers: [HealthController], providers: [ClockSync] })
export class HealthModule {}
