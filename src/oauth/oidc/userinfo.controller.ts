import { Controller, Get, HttpCode, Post, Req, UseInterceptors } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { NoStoreInterceptor } from '../../admin/no-store.interceptor.js';
import { BearerAuthenticator, resourceRequestOf } from '../../auth-guard/bearer-authenticator.service.js';
import { BEARER_FAILURES, Fails } from '../../http/api-errors.js';
import { Operation } from '../../http/openapi.js';
import { type UserinfoClaims, UserinfoService } from './userinfo.service.js';

const Userinfo = z
  .object({
    sub: z.string().meta({ description: 'the user id, as in the ID token and access tokens' }),
    preferred_username: z.string().meta({ description: 'scope profile' }).optional(),
    name: z.string().meta({ description: 'scope profile, when the user has one' }).optional(),
    email: z.string().meta({ description: 'scope email, when the user has one' }).optional(),
    email_verified: z.boolean().meta({ description: 'scope email, with email' }).optional(),
  })
  .meta({ id: 'Userinfo', description: 'OpenID Connect Core 1.0 §5.3.2' });

const FAILS = [...BEARER_FAILURES, Fails.other(403, 'insufficient_scope', 'the access token lacks scope openid (WWW-Authenticate names it)')];
const DOC = { summary: 'Claims about the user of an access token with scope openid (OIDC Core §5.3)', returns: Userinfo, fails: FAILS };

/**
 * The UserInfo endpoint, GET and POST alike (OIDC Core §5.3.1). The access token comes in
 * the Authorization header only (RFC 6750 §2.1, or RFC 9449 §7.1 with a DPoP proof): a token in a form body or query would be
 * logged and cached where headers are not.
 */
@ApiTags('openid-connect')
@ApiBearerAuth('bearer')
@Controller('oauth/userinfo')
@UseInterceptors(NoStoreInterceptor)
export class UserinfoController {
  constructor(
    private readonly authenticator: BearerAuthenticator,
    private readonly userinfo: UserinfoService,
  ) {}

  @Get()
  @Operation(DOC)
  read(@Req() request: FastifyRequest): Promise<UserinfoClaims> {
    return this.answer(request);
  }

  @Post()
  @HttpCode(200)
  @Operation(DOC)
  readByPost(@Req() request: FastifyRequest): Promise<UserinfoClaims> {
    return this.answer(request);
  }

  private async answer(request: FastifyRequest): Promise<UserinfoClaims> {
    return this.userinfo.claimsFor(await this.authenticator.authenticate(resourceRequestOf(request)));
  }
}
