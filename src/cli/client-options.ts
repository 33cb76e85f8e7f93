import type { ClientChange } from '../clients/clients.service.js';
import { validClientId, validSettings } from '../clients/client-rules.js';
import type { OptionValue, ParsedCommand } from './arguments.js';

function list(value: OptionValue | undefined, separator: RegExp): string[] | undefined {
  return typeof value === 'string' ? value.split(separator).map((item) => item.trim()).filter(Boolean) : undefined;
}

/** The options of `clients create` and `clients update` in the service's words; absent options stay undefined. */
export function clientSettings(options: ParsedCommand['options']): ClientChange {
  return {
    grantTypes: list(options.grants, /,/),
    scopes: list(options.scopes, /\s+/),
    introspect: options.introspect as boolean | undefined,
    origins: list(options.origins, /,/),
    accessTokenFormat: options['access-token-format'] as 'jwt' | 'opaque' | undefined,
    audience: options.audience as string | null | undefined,
    redirectUris: list(options['redirect-uris'], /,/),
    postLogoutRedirectUris: list(options['post-logout-redirect-uris'], /,/),
    firstParty: options['first-party'] as boolean | undefined,
    requirePar: options['require-par'] as boolean | undefined,
    name: options.name as string | null | undefined,
    requireDpop: options['require-dpop'] as boolean | undefined,
    requireMfa: options['require-mfa'] as boolean | undefined,
    backchannelLogoutUri: options['backchannel-logout-uri'] as string | null | undefined,
    backchannelLogoutSessionRequired: options['backchannel-logout-session-required'] as boolean | undefined,
  };
}

/**
 * The rules of a new registration, checked before the application is loaded, so that a
 * typo is answered at once. The service checks them again, with the database's view.
 */
export function checkNewClient(command: ParsedCommand): void {
  const given = clientSettings(command.options);
  validClientId(command.args.client_id);
  // Lenient on http redirect URIs: only the service knows whether NODE_ENV is production.
  validSettings({ ...given, type: command.options.type as 'confidential' | 'public', grantTypes: given.grantTypes ?? [] }, { production: false });
}
