import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { FlashCode } from '../account-page/flash.js';
import type { RequestCookies } from '../browser/cookies.js';
import { type Client, GRANT_TYPES, INTROSPECT_PERMISSION } from '../clients/client.js';
import { MAX_SECRET_GRACE_SECONDS } from '../clients/clients.service.js';
import { CONSOLE_CLIENT_ID } from '../clients/console-client.js';
import type { Page } from '../common/page.js';
import { encodeCursor } from '../http/pagination.js';
import type { PublishedKey } from '../oauth/keys/keys.service.js';
import { grantBox } from './client-form.js';
import { ConsolePages } from './console-pages.js';
import type { ConsoleAdmin } from './console-sign-in.service.js';

/** What the rotation form proposes: an hour for the client's deployments to take the new secret. */
export const DEFAULT_SECRET_GRACE_SECONDS = 3600;

const time = (date: Date | null | undefined) => date?.toISOString() ?? null;

/** A client as the console's pages and forms show it; never its secret or hash. */
function clientModel(client: Client) {
  return {
    id: client.id,
    type: client.type,
    name: client.name,
    grants: GRANT_TYPES.map((grant) => ({ grant, box: grantBox(grant), on: client.grantTypes.includes(grant) })),
    grantTypes: client.grantTypes.join(', '),
    scopes: client.scopes.join(' '),
    redirectUris: client.redirectUris.join('\n'),
    postLogoutRedirectUris: client.postLogoutRedirectUris.join('\n'),
    origins: client.allowedOrigins.join('\n'),
    accessTokenFormat: client.accessTokenFormat,
    audience: client.audience ?? '',
    backchannelLogoutUri: client.backchannelLogoutUri ?? '',
    flags: {
      introspect: client.permissions.includes(INTROSPECT_PERMISSION),
      first_party: client.firstParty,
      require_par: client.requirePar,
      require_mfa: client.requireMfa,
      dpop_bound_access_tokens: client.requireDpop,
      backchannel_logout_session_required: client.backchannelLogoutSessionRequired,
    },
    createdAt: client.createdAt.toISOString(),
    previousSecretExpiresAt: time(client.previousSecretExpiresAt),
    /** Tessera's own console client: the service refuses every change, so no form is offered */
    protected: client.id === CONSOLE_CLIENT_ID,
  };
}

/** The flags' badges in the list, in the admin API's words. */
function badgesOf(client: Client): string[] {
  const model = clientModel(client);
  return [...(model.protected ? ['protected'] : []), ...Object.entries(model.flags).filter(([name, on]) => on && name !== 'backchannel_logout_session_required').map(([name]) => name.replaceAll('_', ' '))];
}

/** A new client's form starts as a confidential client with nothing else set. */
const BLANK = {
  id: '',
  type: 'confidential',
  name: '',
  grants: GRANT_TYPES.map((grant) => ({ grant, box: grantBox(grant), on: false })),
  scopes: '',
  redirectUris: '',
  postLogoutRedirectUris: '',
  origins: '',
  accessTokenFormat: 'jwt',
  audience: '',
  backchannelLogoutUri: '',
  flags: { introspect: false, first_party: false, require_par: false, require_mfa: false, dpop_bound_access_tokens: false, backchannel_logout_session_required: true },
};

/** The console's clients and keys pages (CONTRACT "Admin console"), sent through ConsolePages. */
@Injectable()
export class ConsoleClientPages {
  constructor(private readonly pages: ConsolePages) {}

  clients(reply: FastifyReply, cookies: RequestCookies, admin: ConsoleAdmin, found: Page<Client>): void {
    const next = found.next && new URLSearchParams({ cursor: encodeCursor(found.next) }).toString();
    const clients = found.items.map((client) => ({ id: client.id, type: client.type, name: client.name, grantTypes: client.grantTypes.join(', '), badges: badgesOf(client) }));
    this.pages.show(reply, cookies, admin, 'console-clients', 'Clients', { clients, next });
  }

  client(reply: FastifyReply, cookies: RequestCookies, admin: ConsoleAdmin, client: Client): void {
    this.pages.show(reply, cookies, admin, 'console-client', client.id, {
      client: clientModel(client),
      grace: { value: DEFAULT_SECRET_GRACE_SECONDS, max: MAX_SECRET_GRACE_SECONDS },
    });
  }

  newClient(reply: FastifyReply, cookies: RequestCookies, admin: ConsoleAdmin): void {
    this.pages.show(reply, cookies, admin, 'console-client-new', 'New client', { client: BLANK });
  }

  /** The answer to the post itself (no-store, like every page): the secret is shown this once, never in a URL or a cookie. */
  secret(reply: FastifyReply, cookies: RequestCookies, admin: ConsoleAdmin, client: Client, secret: string, how: 'created' | 'rotated'): void {
    this.pages.show(reply, cookies, admin, 'console-secret', how === 'created' ? 'Client created' : 'Secret rotated', {
      clientId: client.id,
      secret,
      how,
      previousSecretExpiresAt: time(client.previousSecretExpiresAt),
    });
  }

  keys(reply: FastifyReply, cookies: RequestCookies, admin: ConsoleAdmin, keys: readonly PublishedKey[]): void {
    const pending = keys.find((key) => key.state === 'pending');
    this.pages.show(reply, cookies, admin, 'console-keys', 'Signing keys', {
      keys: keys.map((key) => ({ kid: key.kid, alg: key.alg, state: key.state, createdAt: time(key.createdAt), activatesAt: time(key.activatesAt), retiredAt: time(key.retiredAt), expiresAt: time(key.expiresAt) })),
      pending: pending && { kid: pending.kid, activatesAt: time(pending.activatesAt) },
    });
  }

  toClient(reply: FastifyReply, id: string, flash: FlashCode): void {
    this.pages.redirect(reply, `${this.pages.base}/console/clients/${encodeURIComponent(id)}`, flash);
  }

  toList(reply: FastifyReply, path: '/console/clients' | '/console/keys', flash: FlashCode): void {
    this.pages.redirect(reply, `${this.pages.base}${path}`, flash);
  }
}
