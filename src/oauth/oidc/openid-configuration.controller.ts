import { Controller, Get, Header } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Operation } from '../../http/openapi.js';
import { ServerMetadataService } from '../discovery/server-metadata.service.js';
import { OpenIdConfiguration } from '../oauth.schemas.js';

/** OpenID Connect Discovery 1.0 §4: the RFC 8414 members with the same values, plus OIDC's. */
@ApiTags('openid-connect')
@Controller('.well-known')
export class OpenIdConfigurationController {
  constructor(private readonly metadata: ServerMetadataService) {}

  @Get('openid-configuration')
  @Header('Cache-Control', 'public, max-age=300')
  @Operation({ summary: 'OpenID Connect discovery document (Discovery 1.0)', returns: OpenIdConfiguration, fails: [] })
  configuration(): Promise<Record<string, unknown>> {
    return this.metadata.openidConfiguration();
  }
}
