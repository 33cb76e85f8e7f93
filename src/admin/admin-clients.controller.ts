import { Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { z } from 'zod';
import { AdminController } from './admin-controller.decorator.js';
import { actorOf, CurrentPrincipal, type Principal } from '../auth-guard/principal.js';
import { ClientsService, MAX_SECRET_GRACE_SECONDS } from '../clients/clients.service.js';
import { ADMIN_FAILURES, Fails } from '../http/api-errors.js';
import { Operation } from '../http/openapi.js';
import { CLIENT_KEY, pageBody, pageQuery, pageRequest } from '../http/pagination.js';
import { JsonBody, JsonQuery } from '../http/schema-input.js';
import { flag, integer, oneOf, stringList, text } from '../http/schema-rules.js';
import { notFound } from './admin-users.controller.js';
import { ClientPage, ClientView, clientView } from './views.js';

const CODE_FLOW_SETTINGS = {
  redirect_uris: stringList(20)
    .meta({ description: 'exact redirect URIs for authorization_code: https, http://127.0.0.1 / http://[::1], or a private-use scheme (RFC 8252)' })
    .optional(),
  post_logout_redirect_uris: stringList(20)
    .meta({ description: 'where the end_session_endpoint may send the browser back (OpenID Connect RP-Initiated Logout 1.0 §3.1); same rules as redirect_uris' })
    .optional(),
  first_party: flag.meta({ description: 'one of the operator\'s own applications: the user is not asked for consent' }).optional(),
  require_par: flag.meta({ description: 'accept only pushed authorization requests (RFC 9126)' }).optional(),
  require_mfa: flag.meta({ description: 'authorize only users signed in with a second factor; others get interaction_required' }).optional(),
  backchannel_logout_session_required: flag
    .meta({ description: 'the client needs sid in logout tokens (Back-Channel Logout 1.0 §2.2); default true' })
    .optional(),
};
const CLIENT_NAME_DESCRIPTION = 'the name users see on the login and consent pages instead of the client_id (RFC 7591 client_name)';
const DPOP_SETTING = {
  dpop_bound_access_tokens: flag.meta({ description: 'refuse token requests without a DPoP proof: never a Bearer token (RFC 9449 §5.2)' }).optional(),
};
const BACKCHANNEL_LOGOUT_URI = text(1, 2000).meta({
  description: 'where logout tokens are POSTed when a session of the client ends (Back-Channel Logout 1.0): https, no fragment',
});
export const NewClient = z
  .strictObject({
    client_id: text(1, 128),
    type: oneOf(['confidential', 'public']),
    grant_types: stringList(10).meta({ description: 'password, refresh_token, client_credentials, authorization_code' }),
    scopes: stringList(100).optional(),
    introspect: flag.meta({ description: 'may introspect any token (a resource server)' }).optional(),
    origins: stringList(100).meta({ description: 'browser origins allowed to use /auth' }).optional(),
    access_token_format: oneOf(['jwt', 'opaque']).optional(),
    audience: text(1, 1024).optional(),
    client_name: text(1, 100).meta({ description: CLIENT_NAME_DESCRIPTION }).optional(),
    backchannel_logout_uri: BACKCHANNEL_LOGOUT_URI.optional(),
    ...CODE_FLOW_SETTINGS,
    ...DPOP_SETTING,
  })
  .meta({ id: 'NewClient' });
export type NewClient = z.output<typeof NewClient>;
const ClientQuery = z.strictObject(pageQuery(CLIENT_KEY));
const CreatedClient = ClientView.extend({
  client_secret: z.string().meta({ description: 'confidential clients only; shown in this answer only' }).optional(),
}).meta({ id: 'CreatedClient' });
export const ClientChange = z
  .strictObject({
    grant_types: stringList(10).optional(),
    scopes: stringList(100).optional(),
    introspect: flag.optional(),
    origins: stringList(100).optional(),
    access_token_format: oneOf(['jwt', 'opaque']).optional(),
    audience: text(1, 1024).nullable().meta({ description: 'null removes the client\'s own audience' }).optional(),
    client_name: text(1, 100).nullable().meta({ description: `${CLIENT_NAME_DESCRIPTION}; null removes it` }).optional(),
    backchannel_logout_uri: BACKCHANNEL_LOGOUT_URI.nullable().optional(),
    ...CODE_FLOW_SETTINGS,
    ...DPOP_SETTING,
  })
  .meta({ id: 'ClientChange' });
export type ClientChange = z.output<typeof ClientChange>;

/** The settings members of a request body, in the service's words (create and update alike). */
export function settingsOf(input: ClientChange) {
  return {
    grantTypes: input.grant_types,
    scopes: input.scopes,
    introspect: input.introspect,
    origins: input.origins,
    accessTokenFormat: input.access_token_format,
    audience: input.audience,
    redirectUris: input.redirect_uris,
    postLogoutRedirectUris: input.post_logout_redirect_uris,
    firstParty: input.first_party,
    requirePar: input.require_par,
    name: input.client_name,
    requireDpop: input.dpop_bound_access_tokens,
    requireMfa: input.require_mfa,
    backchannelLogoutUri: input.backchannel_logout_uri,
    backchannelLogoutSessionRequired: input.backchannel_logout_session_required,
  };
}
/** A new client in the service's words: it names its type and grant types, and has no audience or name to remove. */
export function registrationOf(input: NewClient) {
  return { ...settingsOf(input), id: input.client_id, type: input.type, grantTypes: input.grant_types, audience: input.audience, name: input.client_name };
}

export const SecretRotation = z
  .strictObject({
    grace_seconds: integer(0, MAX_SECRET_GRACE_SECONDS).meta({ description: 'how long the replaced secret keeps working; default 0' }).optional(),
  })
  .meta({ id: 'SecretRotation' });
type SecretRotation = z.output<typeof SecretRotation>;
const RotatedSecret = z
  .object({
    client_id: z.string(),
    client_secret: z.string().meta({ description: 'shown in this answer only' }),
    previous_secret_expires_at: z.iso.datetime().nullable().meta({ description: 'null when the replaced secret stopped at once' }),
  })
  .meta({ id: 'RotatedSecret' });

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
    const { client, secret } = await this.clients.create(registrationOf(input), actorOf(admin));
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

  @Get(':clientId')
  @Operation({ summary: 'Read a client', returns: ClientView, fails: [...ADMIN_FAILURES, Fails.notFound('client')] })
  async get(@Param('clientId') clientId: string) {
    const client = await this.clients.findById(clientId);
    if (!client) throw notFound('client');
    return clientView(client);
  }

  /** Changes only what the body names; `audience: null` removes the client's own audience, `client_name: null` its name. */
  @Patch(':clientId')
  @Operation({
    summary: 'Change a client',
    returns: ClientView,
    fails: [...ADMIN_FAILURES, Fails.body, Fails.rule, Fails.notFound('client'), Fails.tooLarge],
  })
  async update(@CurrentPrincipal() admin: Principal, @Param('clientId') clientId: string, @JsonBody(ClientChange) input: ClientChange) {
    const client = await this.clients.update(
      clientId,
      settingsOf(input),
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
  @Operation({
    summary: 'Rotate a confidential client\'s secret',
    returns: RotatedSecret,
    fails: [...ADMIN_FAILURES, Fails.body, Fails.rule, Fails.notFound('client'), Fails.tooLarge],
  })
  async rotateSecret(@CurrentPrincipal() admin: Principal, @Param('clientId') clientId: string, @JsonBody(SecretRotation, { optional: true }) input: SecretRotation) {
    const grace = input.grace_seconds ?? 0;
    const rotated = await this.clients.rotateSecret(clientId, grace, actorOf(admin));
    if (!rotated) throw notFound('client');
    return {
      client_id: rotated.client.id,
      client_secret: rotated.secret,
      previous_secret_expires_at: rotated.client.previousSecretExpiresAt?.toISOString() ?? null,
    };
  }
}
