import { Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import { AdminController } from './admin-controller.decorator.js';
import { actorOf, CurrentPrincipal, type Principal } from '../auth-guard/principal.js';
import { ClientsService } from '../clients/clients.service.js';
import { ADMIN_FAILURES, Fails } from '../http/api-errors.js';
import { Operation } from '../http/openapi.js';
import { CLIENT_KEY, pageBody, pageQuery, pageRequest } from '../http/pagination.js';
import { JsonBody, JsonQuery } from '../http/schema-input.js';
import { flag, oneOf, stringList, text } from '../http/schema-rules.js';
import { notFound } from './admin-users.controller.js';
import { ClientPage, ClientView, clientView } from './views.js';

const NewClient = z
  .strictObject({
    client_id: text(1, 128),
    type: oneOf(['confidential', 'public']),
    grant_types: stringList(10).meta({ description: 'password, refresh_token, client_credentials' }),
    scopes: stringList(100).optional(),
    introspect: flag.meta({ description: 'may introspect any token (a resource server)' }).optional(),
    origins: stringList(100).meta({ description: 'browser origins allowed to use /auth' }).optional(),
    access_token_format: oneOf(['jwt', 'opaque']).optional(),
    audience: text(1, 1024).optional(),
  })
  .meta({ id: 'NewClient' });
type NewClient = z.output<typeof NewClient>;
const ClientQuery = z.strictObject(pageQuery(CLIENT_KEY));
const CreatedClient = ClientView.extend({
  client_secret: z.string().meta({ description: 'confidential clients only; shown in this answer only' }).optional(),
}).meta({ id: 'CreatedClient' });

@AdminController('admin/clients')
export class AdminClientsController {
  constructor(private readonly clients: ClientsService) {}

  /** The generated secret is in this answer only: it is stored as a keyed hash. */
  @Post()
  @Operation({
    summary: 'Register a client',
    description: 'A confidential client gets a generated secret, shown in this answer only.',
    status: 201,
    returns: CreatedClient,
    fails: [...ADMIN_FAILURES, Fails.body, Fails.rule, Fails.taken, Fails.tooLarge],
  })
  async create(@CurrentPrincipal() admin: Principal, @JsonBody(NewClient) input: NewClient) {
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
  @Operation({ summary: 'List clients', returns: ClientPage, fails: [...ADMIN_FAILURES, Fails.query] })
  async list(@JsonQuery(ClientQuery) query: z.output<typeof ClientQuery>) {
    return pageBody(await this.clients.list(pageRequest(query)), clientView);
  }

  /** Ends every session of the client (reason client_deleted), then deletes it. */
  @Delete(':clientId')
  @HttpCode(204)
  @Operation({ summary: 'Delete a client and end its sessions', status: 204, fails: [...ADMIN_FAILURES, Fails.notFound('client')] })
  async delete(@CurrentPrincipal() admin: Principal, @Param('clientId') clientId: string): Promise<void> {
    if ((await this.clients.delete(clientId, actorOf(admin))) === undefined) throw notFound('client');
  }
}
