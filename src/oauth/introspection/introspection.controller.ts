import { Body, Controller, Header, Headers, HttpCode, Ip, Post } from '@nestjs/common';
import { formOf } from '../form/form-params.js';
import { type IntrospectionResponse, IntrospectionService } from './introspection.service.js';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors, formSchema } from '../../http/openapi.js';

@ApiTags('oauth')
@Controller('oauth')
export class IntrospectionController {
  constructor(private readonly introspection: IntrospectionService) {}

  /** RFC 7662 §2.1; the response is never cached (RFC 7662 §4 and CONTRACT "Endpoints"). */
  @Post('introspect')
  @ApiSecurity('client')
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ schema: formSchema(['token'], ['token_type_hint', 'client_id', 'client_secret']) })
  @ApiOkResponse({ description: 'RFC 7662 §2.2: {active: false}, or active with token_type ("Bearer", access tokens only), scope, client_id, username, sub, aud, iss, exp, iat, jti, sid' })
  @ApiErrors(400, 401, 413, 429, 503)
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  introspect(
    @Headers('authorization') authorization: string | undefined,
    @Ip() ip: string | undefined,
    @Body() body: unknown,
  ): Promise<IntrospectionResponse> {
    return this.introspection.introspect({ authorization, form: formOf(body), ip });
  }
}
