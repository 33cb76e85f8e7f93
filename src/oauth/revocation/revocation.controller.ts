import { Body, Controller, Header, Headers, HttpCode, Ip, Post } from '@nestjs/common';
import { formOf } from '../form/form-params.js';
import { RevocationService } from './revocation.service.js';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Fails } from '../../http/api-errors.js';
import { Operation } from '../../http/openapi.js';
import { RevocationForm, RevocationResponse } from '../oauth.schemas.js';

@ApiTags('oauth')
@Controller('oauth')
export class RevocationController {
  constructor(private readonly revocation: RevocationService) {}

  /**
   * RFC 7009 §2.1; §2.2: 200 whatever the token was. The body is ignored by the client,
   * so it is `{}` as JSON rather than empty: client libraries that parse every answer
   * (simple-oauth2's revokeAll) fail on an empty, content-type-less 200.
   */
  @Post('revoke')
  @ApiSecurity('client')
  @Operation({
    summary: 'Revoke a token (RFC 7009)',
    description: 'Answers 200 with `{}` whether the token was live, unknown or already revoked. A refresh token ends its whole session.',
    form: RevocationForm,
    returns: RevocationResponse,
    fails: [
      Fails.form,
      Fails.other(400, 'invalid_request', 'the token is live but was issued to another client (RFC 7009 §2.1); it stays live'),
      Fails.clientAuth,
      Fails.tooLarge,
      Fails.throttled,
      Fails.unavailable,
    ],
  })
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  async revoke(
    @Headers('authorization') authorization: string | undefined,
    @Ip() ip: string | undefined,
    @Body() body: unknown,
  ): Promise<Record<string, never>> {
    await this.revocation.revoke({ authorization, form: formOf(body), ip });
    return {};
  }
}
