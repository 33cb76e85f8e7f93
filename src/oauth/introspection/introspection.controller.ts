import { Body, Controller, Header, Headers, HttpCode, Post } from '@nestjs/common';
import { formOf } from '../form/form-params.js';
import { type IntrospectionResponse, IntrospectionService } from './introspection.service.js';

@Controller('oauth')
export class IntrospectionController {
  constructor(private readonly introspection: IntrospectionService) {}

  /** RFC 7662 §2.1; the response is never cached (RFC 7662 §4 and CONTRACT "Endpoints"). */
  @Post('introspect')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  introspect(@Headers('authorization') authorization: string | undefined, @Body() body: unknown): Promise<IntrospectionResponse> {
    return this.introspection.introspect(authorization, formOf(body));
  }
}
