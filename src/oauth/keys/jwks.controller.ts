import { Controller, Get, Header } from '@nestjs/common';
import { type Jwks, KeysService } from './keys.service.js';
import { ApiTags } from '@nestjs/swagger';

@ApiTags('discovery')
@Controller('oauth')
export class JwksController {
  constructor(private readonly keys: KeysService) {}

  @Get('jwks')
  @Header('Content-Type', 'application/jwk-set+json')
  @Header('Cache-Control', 'public, max-age=60')
  jwks(): Promise<Jwks> {
    return this.keys.jwks();
  }
}
