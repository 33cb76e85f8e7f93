import { Get, HttpCode, Post, Query } from '@nestjs/common';
import { AdminController } from './admin-controller.decorator.js';
import { AUDIT_EVENT_TYPES } from '../audit/audit-event.js';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, CurrentPrincipal, type Principal } from '../auth-guard/principal.js';
import { oneOf, optional, parseInput, timestamp, uuid } from '../http/json-input.js';
import { pageBody, pageQuery, pageRequest, SERIAL_KEY } from '../http/pagination.js';
import { KeysService } from '../oauth/keys/keys.service.js';
import { eventView } from './views.js';

const EVENT_QUERY = {
  type: optional(oneOf(AUDIT_EVENT_TYPES)),
  user_id: optional(uuid),
  since: optional(timestamp),
  until: optional(timestamp),
  ...pageQuery(SERIAL_KEY),
};

@AdminController('admin')
export class AdminEventsController {
  constructor(
    private readonly audit: AuditService,
    private readonly keys: KeysService,
  ) {}

  /** The audit log, newest first: `since` inclusive, `until` exclusive. */
  @Get('events')
  async events(@Query() query: unknown) {
    const { type, user_id: userId, since, until, ...page } = parseInput(query, EVENT_QUERY, 'query');
    return pageBody(await this.audit.query({ type, userId, since, until }, pageRequest(page)), eventView);
  }

  /** The new key signs from now on; the old one stays in the JWKS until its last token has expired. */
  @Post('keys/rotate')
  @HttpCode(200)
  async rotate(@CurrentPrincipal() admin: Principal) {
    return { kid: await this.keys.rotate(actorOf(admin)) };
  }
}
