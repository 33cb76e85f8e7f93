import { Body, Controller, Header, Headers, HttpCode, Post } from '@nestjs/common';
import { formOf } from '../form/form-params.js';
import { RevocationService } from './revocation.service.js';

@Controller('oauth')
export class RevocationController {
  constructor(private readonly revocation: RevocationService) {}

  /** RFC 7009 §2.1; §2.2: 200 with an empty body, whatever the token was. */
  @Post('revoke')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  async revoke(@Headers('authorization') authorization: string | undefined, @Body() body: unknown): Promise<void> {
    await this.revocation.revoke(authorization, formOf(body));
  }
}
