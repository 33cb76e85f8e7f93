import { Controller, Get, Header } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Operation } from '../../http/openapi.js';
import { ServerMetadata } from '../oauth.schemas.js';
import { ServerMetadataService } from './server-metadata.service.js';

/** RFC 8414 authorization server metadata, with RFC 7636, RFC 9126 and RFC 9207 members. */
@ApiTags('discovery')
@Controller('.well-known')
export class DiscoveryController {
  constructor(private readonly metadata: ServerMetadataService) {}

  @Get('oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=300')
  @Operation({ summary: 'Authorization server metadata (RFC 8414)', returns: ServerMetadata, fails: [] })
  metadataDocument(): Promise<Record<string, unknown>> {
    return this.metadata.oauthMetadata();
  }
}
