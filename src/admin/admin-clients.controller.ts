import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { AdminController } from './admin-controller.decorator.js';
import { actorOf, CurrentPrincipal, type Principal } from '../auth-guard/principal.js';
import { ClientsService, MAX_SECRET_GRACE_SECONDS } from '../clients/clients.service.js';
import { boolean, integer, nullable, oneOf, optional, parseInput, required, string, stringArray } from '../http/json-input.js';
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
const CLIENT_CHANGE = {
  grant_types: optional(stringArray(10)),
  scopes: optional(stringArray(100)),
  introspect: optional(boolean),
  origins: optional(stringArray(100)),
  access_token_format: optional(oneOf(['jwt', 'opaque'] as const)),
  audience: optional(nullable(string(1, 1024))),
};
const SECRET_ROTATION = { grace_seconds: optional(integer(0, MAX_SECRET_GRACE_SECONDS)) };

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

  @Get(':clientId')
  async get(@Param('clientId') clientId: string) {
    const client = await this.clients.findById(clientId);
    if (!client) throw notFound('client');
    return clientView(client);
  }

  /** Changes only what the body names; `audience: null` removes the client's own audience. */
  @Patch(':clientId')
  async update(@CurrentPrincipal() admin: Principal, @Param('clientId') clientId: string, @Body() body: unknown) {
    const input = parseInput(body, CLIENT_CHANGE);
    const client = await this.clients.update(
      clientId,
      {
        grantTypes: input.grant_types,
        scopes: input.scopes,
        introspect: input.introspect,
        origins: input.origins,
        accessTokenFormat: input.access_token_format,
        audience: input.audience,
      },
      actorOf(admin),
    );
    if (!client) throw notFound('client');
    return clientView(client);
  }

  /**
   * A new secret, in this answer only. The replaced one keeps working for `grace_seconds`
   * (default 0: it stops at once, as after a leak), then fails client authentication.
   */
  @Post(':clientId/secret')
  @HttpCode(200)
  async rotateSecret(@CurrentPrincipal() admin: Principal, @Param('clientId') clientId: string, @Body() body: unknown) {
    const { grace_seconds: grace = 0 } = parseInput(body ?? {}, SECRET_ROTATION);
    const rotated = await this.clients.rotateSecret(clientId, grace, actorOf(admin));
    if (!rotated) throw notFound('client');
    return {
      client_id: rotated.client.id,
      client_secret: rotated.secret,
      previous_secret_expires_at: rotated.client.previousSecretExpiresAt?.toISOString() ?? null,
    };
  }
}
