import { Controller, Get, Req, Res, UseFilters } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestCookies } from '../browser/cookies.js';
import { decodeCursor, SERIAL_KEY } from '../http/pagination.js';
import { InteractionErrorFilter } from '../interaction/interaction-error.filter.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { queryOf, signedIn } from './console.controller.js';
import { ConsoleEventsService } from './console-events.service.js';
import { ConsoleOperation } from './console-operation.js';
import { ConsolePages } from './console-pages.js';
import { ConsoleSignIn } from './console-sign-in.service.js';
import { eventsFilterOf } from './events-filter.js';

/**
 * The audit log in the console, read-only: filtered by type, user, client and time,
 * newest first, under a chart of logins, reuse detections and revocations per hour.
 */
@ApiTags('console')
@Controller('console/events')
@UseFilters(InteractionErrorFilter)
export class ConsoleEventsController {
  constructor(
    private readonly signIn: ConsoleSignIn,
    private readonly pages: ConsolePages,
    private readonly events: ConsoleEventsService,
  ) {}

  @Get()
  @ConsoleOperation({
    summary: 'The audit log (type=<event type>, user=<user id>, client=<client id>, from=, to=<YYYY-MM-DDTHH:MM, UTC>, cursor=<next page>)',
    page: 'the events, newest first, and their chart per hour',
    redirect: 'to sign in',
  })
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const admin = await signedIn(this.signIn, this.pages, request, reply);
    if (!admin) return;
    const query = queryOf(request.url);
    const filter = eventsFilterOf(query);
    const cursor = query.get('cursor');
    const after = cursor === undefined ? undefined : decodeCursor(cursor, SERIAL_KEY);
    if (cursor !== undefined && after === undefined) throw OAuthError.invalidRequest('cursor is not one of a previous page');
    this.pages.events(reply, RequestCookies.from(request.headers.cookie), admin, filter.query, await this.events.read(filter, after));
  }
}
