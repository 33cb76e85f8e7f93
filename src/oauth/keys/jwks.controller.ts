import { Controller, Get, Header } from '@nestjs/common';
import { type Jwks, KeysService } from './keys.service.js';
import { ApiTags } from '@nestjs/swagger';
import { Fails } from '../../http/api-errors.js';
import { Operation } from '../../http/openapi.js';
import { Jwks as JwksSchema } from '../oauth.schemas.js';

@ApiTags('discovery')
@Controller()
export class JwksController {
  constructor(private readonly keys: KeysService) {}

  /** CONTRACT "Signing keys": /.well-known/jwks.json serves the same set as the jwks_uri. */
  @Get(['oauth/jwks', '.well-known/jwks.json'])
  @Header('Content-Type', 'application/jwk-set+json')
  @Header('Cache-Control', 'public, max-age=60')
  @Operation({
    summary: 'Public signing keys (JWKS)',
    description: 'The active key, a pending one, and every retired key whose tokens may still be alive.',
    returns: JwksSchema,
    returnsAs: 'application/jwk-set+json',
    fails: [Fails.unavailable],
  })
  jwks(): Promise<Jwks> {
    return this.keys.jwks();
  }
}
