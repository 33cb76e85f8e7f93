import { Controller, Get, Req, Res, UseFilters } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUDIT_EVENT_TYPES, type AuditEventType } from '../audit/audit-event.js';
import { AuditService } from '../audit/audit.service.js';
import { RequestCookies } from '../browser/cookies.js';
import { decodeCursor, SERIAL_KEY, UUID_KEY } from '../http/pagination.js';
import { InteractionErrorFilter } from '../interaction/interaction-error.filter.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { queryOf, signedIn } from './console.controller.js';
import { ConsoleOperation } from './console-operation.js';
import { ConsolePages } from './console-pages.js';
import { ConsoleSignIn } from './console-sign-in.service.js';

export const EVENTS_PER_PAGE = 50;

/** The audit log in the console, read-only: filtered by type and user, newest first. */
@ApiTags('console')
@Controller('console/events')
@UseFilters(InteractionErrorFilter)
export class ConsoleEventsController {
  constructor(
    private readonly signIn: ConsoleSignIn,
    private readonly pages: ConsolePages,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @ConsoleOperation({ summary: 'The audit log (type=<event type>, user=<user id>, cursor=<next page>)', page: 'the events, newest first', redirect: 'to sign in' })
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const admin = await signedIn(this.signIn, this.pages, request, reply);
    if (!admin) return;
    const query = queryOf(request.url);
    const type = query.get('type') || undefined;
    const user = query.get('user') || undefined;
    const cursor = query.get('cursor');
    if (type !== undefined && !AUDIT_EVENT_TYPES.includes(type as AuditEventType)) throw OAuthError.invalidRequest('type is not an audit event type');
    if (user !== undefined && !UUID_KEY.test(user)) throw OAuthError.invalidRequest('user must be a user id');
    const after = cursor === undefined ? undefined : decodeCursor(cursor, SERIAL_KEY);
    if (cursor !== undefined && after === undefined) throw OAuthError.invalidRequest('cursor is not one of a previous page');
    const filter = { type: type as AuditEventType | undefined, user };
    const events = await this.audit.query({ type: filter.type, userId: user }, { limit: EVENTS_PER_PAGE, ...(after ? { after } : {}) });
    this.pages.events(reply, RequestCookies.from(request.headers.cookie), admin, filter, events);
  }
}
