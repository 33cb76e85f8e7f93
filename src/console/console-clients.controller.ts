import { Controller, Get, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestCookies } from '../browser/cookies.js';
import { CLIENT_ID } from '../clients/client-rules.js';
import { CLIENT_KEY, decodeCursor } from '../http/pagination.js';
import { InteractionErrorFilter } from '../interaction/interaction-error.filter.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { queryOf, signedIn } from './console.controller.js';
import { ConsoleClientPages } from './console-client-pages.js';
import { ConsoleClientsService } from './console-clients.service.js';
import { confirmedAdmin, type ConsoleForm, ConsoleFormGuard, consoleFormOf } from './console-form.guard.js';
import { ConsoleOperation } from './console-operation.js';
import { ConsolePages } from './console-pages.js';
import { type ConsoleAdmin, ConsoleSignIn } from './console-sign-in.service.js';

const BACK = 'to the client\'s page with a one-time message (nothing changed without the confirmation box ticked), or to sign in';
const REFUSED = ' A bad form, an unknown client or the console\'s own client: an error page (4xx), nothing changed.';

/** The path of a client's page; an id no client can have is not_found before anything else. */
function clientPath(id: string): string {
  if (!CLIENT_ID.test(id)) throw new OAuthError('not_found', 'no such client');
  return `/console/clients/${id}`;
}

/**
 * The console's clients: the list, a client's page, and what an admin does to a client.
 * Each post needs the confirmation box ticked, else nothing changes.
 */
@ApiTags('console')
@Controller('console')
@UseFilters(InteractionErrorFilter)
export class ConsoleClientsController {
  constructor(
    private readonly signIn: ConsoleSignIn,
    private readonly pages: ConsolePages,
    private readonly clientPages: ConsoleClientPages,
    private readonly clients: ConsoleClientsService,
  ) {}

  @Get('clients')
  @ConsoleOperation({ summary: 'The registered clients, newest first (cursor=<next page>)', page: 'the clients', redirect: 'to sign in' })
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const admin = await signedIn(this.signIn, this.pages, request, reply);
    if (!admin) return;
    const raw = queryOf(request.url).get('cursor');
    const after = raw === undefined ? undefined : decodeCursor(raw, CLIENT_KEY);
    if (raw !== undefined && after === undefined) throw OAuthError.invalidRequest('cursor is not one of a previous page');
    this.clientPages.clients(reply, RequestCookies.from(request.headers.cookie), admin, await this.clients.list(after));
  }

  // Not below /console/clients/: "new" is a valid client id.
  @Get('new-client')
  @ConsoleOperation({ summary: 'The form that registers a client', page: 'the form', redirect: 'to sign in' })
  async form(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const admin = await signedIn(this.signIn, this.pages, request, reply);
    if (admin) this.clientPages.newClient(reply, RequestCookies.from(request.headers.cookie), admin);
  }

  @Post('clients')
  @UseGuards(ConsoleFormGuard)
  @ConsoleOperation({
    summary: 'Register a client, as POST /admin/clients does (the admin API\'s members as form fields, confirm=yes)',
    page: `the client, and a confidential client's secret, shown this once.${REFUSED}`,
    redirect: 'to the form with a one-time message (nothing changed without the confirmation box ticked), or to sign in',
  })
  async create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const form = consoleFormOf(request);
    const admin = confirmedAdmin(this.pages, reply, form, () => '/console/new-client');
    if (!admin) return;
    const { client, secret } = await this.clients.create(admin, form.form);
    if (secret === undefined) return this.clientPages.toClient(reply, client.id, 'console-client-created');
    this.clientPages.secret(reply, RequestCookies.from(request.headers.cookie), admin, client, secret, 'created');
  }

  @Get('clients/:id')
  @ConsoleOperation({ summary: 'A client: its registration, and what can be done', page: 'the client page', redirect: 'to sign in' })
  async show(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    const admin = await signedIn(this.signIn, this.pages, request, reply);
    if (!admin) return;
    this.clientPages.client(reply, RequestCookies.from(request.headers.cookie), admin, await this.clients.found(id));
  }

  @Post('clients/:id')
  @UseGuards(ConsoleFormGuard)
  @ConsoleOperation({
    summary: 'Change a client, as PATCH /admin/clients/{id} does: the form states every setting (confirm=yes)',
    page: `the client page (after the redirect), with a one-time message.${REFUSED}`,
    redirect: BACK,
  })
  async update(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    const form = consoleFormOf(request);
    const admin = this.ready(reply, form, id);
    if (!admin) return;
    await this.clients.update(admin, id, form.form);
    this.clientPages.toClient(reply, id, 'console-client-updated');
  }

  @Post('clients/:id/secret')
  @UseGuards(ConsoleFormGuard)
  @ConsoleOperation({
    summary: 'Rotate a confidential client\'s secret; the replaced one works for grace_seconds more (confirm=yes)',
    page: `the new secret, shown this once.${REFUSED}`,
    redirect: BACK,
  })
  async rotateSecret(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    const form = consoleFormOf(request);
    const admin = this.ready(reply, form, id);
    if (!admin) return;
    const { client, secret } = await this.clients.rotateSecret(admin, id, form.form);
    this.clientPages.secret(reply, RequestCookies.from(request.headers.cookie), admin, client, secret, 'rotated');
  }

  @Post('clients/:id/delete')
  @UseGuards(ConsoleFormGuard)
  @ConsoleOperation({
    summary: 'Delete a client; every session of it ends (confirm=yes)',
    page: `the clients (after the redirect), with a one-time message.${REFUSED}`,
    redirect: 'to the clients with a one-time message, or to the client\'s page when the confirmation box was not ticked, or to sign in',
  })
  async delete(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    const form = consoleFormOf(request);
    const admin = this.ready(reply, form, id);
    if (!admin) return;
    await this.clients.delete(admin, id);
    this.clientPages.toList(reply, '/console/clients', 'console-client-deleted');
  }

  private ready(reply: FastifyReply, form: ConsoleForm, id: string): ConsoleAdmin | undefined {
    return confirmedAdmin(this.pages, reply, form, () => clientPath(id));
  }
}
