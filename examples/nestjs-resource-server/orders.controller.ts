import { Controller, Get, Post } from '@nestjs/common';
import { Principal, Public, Scopes } from '@tessera/resource-server/nestjs';

/** Every route is guarded (the module's global guard) unless it says @Public(). */
@Controller()
export class OrdersController {
  @Get('health')
  @Public()
  health() {
    return { ok: true };
  }

  @Get('orders')
  @Scopes('read')
  list(@Principal() principal: Principal) {
    return { orders: [], for: principal.subject, client: principal.clientId };
  }

  @Post('orders')
  @Scopes('write')
  create(@Principal() principal: Principal) {
    return { created: true, by: principal.subject };
  }
}
