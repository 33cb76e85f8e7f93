import { Controller, Get, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestCookies } from '../browser/cookies.js';
import { InteractionErrorFilter } from '../interaction/interaction-error.filter.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { KeysService } from '../oauth/keys/keys.service.js';
import { KeyPendingError } from '../oauth/keys/signing-key.js';
import { signedIn } from './console.controller.js';
import { ConsoleClientPages } from './console-client-pages.js';
import { confirmedAdmin, ConsoleFormGuard, consoleFormOf } from './console-form.guard.js';
import { ConsoleOperation } from './console-operation.js';
import { ConsolePages } from './console-pages.js';
import { actorOf, ConsoleSignIn } from './console-sign-in.service.js';

/** The signing keys in the console: the published ones, and the staged rotation of CONTRACT "Signing keys". */
@ApiTags('console')
@Controller('console/keys')
@UseFilters(InteractionErrorFilter)
export class ConsoleKeysController {
  constructor(
    private readonly signIn: ConsoleSignIn,
    private readonly pages: ConsolePages,
    private readonly clientPages: ConsoleClientPages,
    private readonly keys: KeysService,
  ) {}

  @Get()
  @ConsoleOperation({ summary: 'The published signing keys: pending, active, retired', page: 'the keys, newest first', redirect: 'to sign in' })
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const admin = await signedIn(this.signIn, this.pages, request, reply);
    if (admin) this.clientPages.keys(reply, RequestCookies.from(request.headers.cookie), admin, await this.keys.published());
  }

  /** As POST /admin/keys/rotate: the new key is pending (published, not signing) until KEY_PUBLISH_DELAY has passed. */
  @Post('rotate')
  @UseGuards(ConsoleFormGuard)
  @ConsoleOperation({
    summary: 'Rotate the signing key: a pending key is added (confirm=yes)',
    page: 'the keys (after the redirect), with a one-time message; 409 error page while a key is already pending',
    redirect: 'to the keys with a one-time message (nothing changed without the confirmation box ticked), or to sign in',
  })
  async rotate(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const admin = confirmedAdmin(this.pages, reply, consoleFormOf(request), () => '/console/keys');
    if (!admin) return;
    try {
      await this.keys.rotate(actorOf(admin));
    } catch (error) {
      if (error instanceof KeyPendingError) throw new OAuthError('invalid_request', error.message, {}, 409);
      throw error;
    }
    this.clientPages.toList(reply, '/console/keys', 'console-key-rotated');
  }
}
