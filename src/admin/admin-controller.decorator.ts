import { applyDecorators, Controller, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminBearerGuard } from '../auth-guard/bearer.guard.js';
import { NoStoreInterceptor } from './no-store.interceptor.js';

/** An admin API controller: admin bearer token, no-store answers, documented as such. */
export function AdminController(path: string): ClassDecorator {
  return applyDecorators(
    ApiTags('admin'),
    ApiBearerAuth('bearer'),
    Controller(path),
    UseGuards(AdminBearerGuard),
    UseInterceptors(NoStoreInterceptor),
  );
}
