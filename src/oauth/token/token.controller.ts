import { Body, Controller, Header, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientAuthService } from '../client-auth/client-auth.service.js';
import { formOf } from '../form/form-params.js';
import type { TokenResponse } from './grant-handler.js';
import { TokenService } from './token.service.js';
import { DpopService } from '../dpop/dpop.service.js';
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
    private readonly dpop: DpopService,
  ) {}

  /** RFC 6749 §3.2 */
  @Post('token')
  @ApiSecurity('client')
  @Operation({
    summary: 'Issue tokens: authorization_code, password, refresh_token or client_credentials grant',
    description:
      'A refresh rotates the refresh token; a reused one ends its whole session (family). ' +
      'With a DPoP proof (RFC 9449) in the DPoP header, the tokens are bound to its key and token_type is DPoP; ' +
      'the proof must carry the server nonce of the DPoP-Nonce response header unless DPOP_REQUIRE_NONCE=false.',
    form: TokenForm,
    returns: TokenResponseSchema,
    fails: [
      Fails.form,
      Fails.other(
        400,
        'invalid_grant',
        'wrong username or password; a refresh token or authorization code that is unknown, expired, revoked or reused, or a wrong code_verifier or redirect_uri; a DPoP-bound refresh token without a proof of its key',
      ),
      Fails.other(400, 'invalid_dpop_proof', 'a DPoP proof that fails a check of RFC 9449 §4.3, was used before, or is missing for a client registered require_dpop'),
      Fails.other(400, 'use_dpop_nonce', 'the DPoP proof lacks the current server nonce: retry with the one in the DPoP-Nonce response header'),
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
  async token(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() body: unknown): Promise<TokenResponse> {
    const form = formOf(body);
    const grantType = form.require('grant_type');
    const client = await this.clientAuth.authenticate({ authorization: request.headers.authorization, form, ip: request.ip }, { recent: true });
    // After client authentication, so that no unauthenticated request writes a proof's jti.
    const proof = await this.dpop.atTokenEndpoint({ method: request.method, rawHeaders: request.raw.rawHeaders });
    const response = await this.tokens.exchange(grantType, {
      client,
      form,
      meta: { ip: request.ip, userAgent: request.headers['user-agent'], requestId: request.id },
      dpopJkt: proof?.jkt,
    });
    // RFC 9449 §8.2: a fresh nonce with every answer to a DPoP client, so it rarely meets use_dpop_nonce.
    if (proof) reply.headers(this.dpop.nonceHeader());
    return response;
  }
}
