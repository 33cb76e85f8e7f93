import { Body, Controller, Header, HttpCode, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ClientAuthService } from '../client-auth/client-auth.service.js';
import { formOf } from '../form/form-params.js';
import type { TokenResponse } from './grant-handler.js';
import { TokenService } from './token.service.js';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Fails } from '../../http/api-errors.js';
import { Operation } from '../../http/openapi.js';
import { TokenForm, TokenResponse as TokenResponseSchema } from '../oauth.schemas.js';

@ApiTags('oauth')
@Controller('oauth')
export class TokenController {
  constructor(
    private readonly clientAuth: ClientAuthService,
    private readonly tokens: TokenService,
  ) {}

  /** RFC 6749 §3.2 */
  @Post('token')
  @ApiSecurity('client')
  @Operation({
    summary: 'Issue tokens: authorization_code, password, refresh_token or client_credentials grant',
    description: 'A refresh rotates the refresh token; a reused one ends its whole session (family).',
    form: TokenForm,
    returns: TokenResponseSchema,
    fails: [
      Fails.form,
      Fails.other(
        400,
        'invalid_grant',
        'wrong username or password; a refresh token or authorization code that is unknown, expired, revoked or reused, or a wrong code_verifier or redirect_uri',
      ),
      Fails.other(400, 'unauthorized_client', 'the client is not registered for this grant type'),
      Fails.other(400, 'unsupported_grant_type', 'the grant type is not supported'),
      Fails.other(400, 'invalid_scope', 'a scope is malformed, not registered for the client, or wider than granted'),
      Fails.clientAuth,
      Fails.tooLarge,
      Fails.throttled,
      Fails.unavailable,
    ],
  })
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  async token(@Req() request: FastifyRequest, @Body() body: unknown): Promise<TokenResponse> {
    const form = formOf(body);
    const grantType = form.require('grant_type');
    const client = await this.clientAuth.authenticate({ authorization: request.headers.authorization, form, ip: request.ip }, { recent: true });
    return this.tokens.exchange(grantType, {
      client,
      form,
      meta: { ip: request.ip, userAgent: request.headers['user-agent'], requestId: request.id },
    });
  }
}
