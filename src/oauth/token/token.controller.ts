import { Body, Controller, Header, HttpCode, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ClientAuthService } from '../client-auth/client-auth.service.js';
import { formOf } from '../form/form-params.js';
import type { TokenResponse } from './grant-handler.js';
import { TokenService } from './token.service.js';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors, formSchema } from '../../http/openapi.js';

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
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ schema: formSchema(['grant_type'], ['username', 'password', 'refresh_token', 'scope', 'client_id', 'client_secret']) })
  @ApiOkResponse({ description: 'RFC 6749 §5.1: access_token, token_type, expires_in, refresh_token?, scope' })
  @ApiErrors(400, 401, 413, 429, 503)
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
