import { Body, Controller, Header, Headers, HttpCode, Ip, Post } from '@nestjs/common';
import { formOf } from '../form/form-params.js';
import { type IntrospectionResponse, IntrospectionService } from './introspection.service.js';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Fails } from '../../http/api-errors.js';
import { Operation } from '../../http/openapi.js';
import { IntrospectionForm, IntrospectionResponse as IntrospectionResponseSchema } from '../oauth.schemas.js';

@ApiTags('oauth')
@Controller('oauth')
export class IntrospectionController {
  constructor(private readonly introspection: IntrospectionService) {}

  /** RFC 7662 §2.1; the response is never cached (RFC 7662 §4 and CONTRACT "Endpoints"). */
  @Post('introspect')
  @ApiSecurity('client')
  @Operation({
    summary: 'Introspect a token (RFC 7662)',
    description: 'For confidential clients. Without the introspect permission a client learns only about its own tokens.',
    form: IntrospectionForm,
    returns: IntrospectionResponseSchema,
    fails: [Fails.form, Fails.other(401, 'invalid_client', 'client authentication failed, or the client is public'), Fails.tooLarge, Fails.throttled, Fails.unavailable],
  })
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
