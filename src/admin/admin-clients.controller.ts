import { Body, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { AdminController } from './admin-controller.decorator.js';
import { actorOf, CurrentPrincipal, type Principal } from '../auth-guard/principal.js';
import { ClientsService } from '../clients/clients.service.js';
import { boolean, oneOf, optional, parseInput, required, string, stringArray } from '../http/json-input.js';
import { CLIENT_KEY, pageBody, pageQuery, pageRequest } from '../http/pagination.js';
import { notFound } from './admin-users.controller.js';
import { clientView } from './views.js';

const NEW_CLIENT = {
  client_id: required(string(1, 128)),
  type: required(oneOf(['confidential', 'public'] as const)),
  grant_types: required(stringArray(10)),
  scopes: optional(stringArray(100)),
  introspect: optional(boolean),
  origins: optional(stringArray(100)),
  access_token_format: optional(oneOf(['jwt', 'opaque'] as const)),
  audience: optional(string(1, 1024)),
};

@AdminController('admin/clients')
export class AdminClientsController {
  constructor(private readonly clients: ClientsService) {}

  /** The generated secret is in this answer only: it is stored as a keyed hash. */
  @Post()
  async create(@CurrentPrincipal() admin: Principal, @Body() body: unknown) {
    const input = parseInput(body, NEW_CLIENT);
    const { client, secret } = await this.clients.create(
      {
        id: input.client_id,
        type: input.type,
        grantTypes: input.grant_types,
        scopes: input.scopes,
        introspect: input.introspect,
        origins: input.origins,
        accessTokenFormat: input.access_token_format,
        audience: input.audience,
      },
      actorOf(admin),
    );
    return { ...clientView(client), ...(secret === undefined ? {} : { client_secret: secret }) };
  }

  @Get()
  async list(@Query() query: unknown) {
    return pageBody(await this.clients.list(pageRequest(parseInput(query, pageQuery(CLIENT_KEY), 'query'))), clientView);
  }

  /** Ends every session of the client (reason client_deleted), then deletes it. */
  @Delete(':clientId')
  @HttpCode(204)
  async delete(@CurrentPrincipal() admin: Principal, @Param('clientId') clientId: string): Promise<void> {
    if ((await this.clients.delete(clientId, actorOf(admin))) === undefined) throw notFound('client');
  }
}
