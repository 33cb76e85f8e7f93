import { Controller, Get, Header } from '@nestjs/common';
import { type Jwks, KeysService } from './keys.service.js';
import { ApiTags } from '@nestjs/swagger';

@ApiTags('discovery')
@Controller()
export class JwksController {
  constructor(private readonly keys: KeysService) {}

  /** CONTRACT "Signing keys": /.well-known/jwks.json serves the same set as the jwks_uri. */
  @Get(['oauth/jwks', '.well-known/jwks.json'])
  @Header('Content-Type', 'application/jwk-set+json')
  @Header('Cache-Control', 'public, max-age=60')
  jwks(): Promise<Jwks> {
    return this.keys.jwks();
  }
}
