import { Body, Controller, Header, Headers, HttpCode, Ip, Post } from '@nestjs/common';
import { formOf } from '../form/form-params.js';
import { RevocationService } from './revocation.service.js';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors, formSchema } from '../../http/openapi.js';

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
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ schema: formSchema(['token'], ['token_type_hint', 'client_id', 'client_secret']) })
  @ApiOkResponse({ description: 'RFC 7009 §2.2: `{}`, whether the token was live, unknown or already revoked', schema: { type: 'object', additionalProperties: false } })
  @ApiErrors(400, 401, 413, 429, 503)
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
