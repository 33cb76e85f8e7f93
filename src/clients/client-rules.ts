import { InvalidInputError } from '../common/errors.js';
import { parseScope } from '../oauth/scope.js';
import { validBackchannelLogoutUri } from './backchannel-logout-uri.js';
import { type RedirectUriPolicy, validRedirectUris } from './redirect-uris.js';
import { type AccessTokenFormat, type ClientSettings, type ClientType, GRANT_TYPES, type GrantType, INTROSPECT_PERMISSION } from './client.js';

// RFC 6749 Appendix A.1 allows any VSCHAR; Tessera keeps ids safe in URLs, logs and headers.
export const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;

/** A registration as an admin states it, before it is checked. */
export interface ClientRegistration {
  readonly type: ClientType;
  readonly grantTypes: readonly string[];
  readonly scopes?: readonly string[];
  readonly introspect?: boolean;
  readonly origins?: readonly string[];
  readonly accessTokenFormat?: AccessTokenFormat;
  readonly audience?: string | null;
  readonly redirectUris?: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
  readonly firstParty?: boolean;
  readonly requirePar?: boolean;
  /** the name users see (RFC 7591 client_name); null or absent: none, the id is shown */
  readonly name?: string | null;
  /** RFC 9449 §5.2 dpop_bound_access_tokens */
  readonly requireDpop?: boolean;
  readonly requireMfa?: boolean;
  /** null removes it */
  readonly backchannelLogoutUri?: string | null;
  readonly backchannelLogoutSessionRequired?: boolean;
  /** permissions other than introspect, kept as they are */
  readonly otherPermissions?: readonly string[];
}

export function validClientId(id: string): string {
  if (!CLIENT_ID.test(id)) {
    throw new InvalidInputError('client_id', 'must be 1-128 characters of A-Z a-z 0-9 . _ ~ -, starting with a letter or digit');
  }
  return id;
}

/**
 * The settings a registration stands for, or InvalidInputError naming the first rule it
 * breaks. The policy says which redirect URIs this deployment accepts.
 */
export function validSettings(input: ClientRegistration, policy: RedirectUriPolicy): ClientSettings {
  if (input.type !== 'confidential' && input.type !== 'public') throw new InvalidInputError('type', 'must be confidential or public');
  const grantTypes = unique(input.grantTypes);
  if (grantTypes.length === 0) throw new InvalidInputError('grants', 'must name at least one grant type');
  for (const grant of grantTypes) {
    if (!(GRANT_TYPES as readonly string[]).includes(grant)) {
      throw new InvalidInputError('grants', `unknown grant type ${JSON.stringify(grant)} (expected ${GRANT_TYPES.join(', ')})`);
    }
  }
  // RFC 6749 §4.4: client_credentials is for confidential clients only.
  if (input.type === 'public' && grantTypes.includes('client_credentials')) {
    throw new InvalidInputError('grants', 'client_credentials needs a confidential client');
  }
  if (input.introspect && input.type === 'public') throw new InvalidInputError('introspect', 'needs a confidential client');
  const format = input.accessTokenFormat ?? 'jwt';
  if (format !== 'jwt' && format !== 'opaque') throw new InvalidInputError('access_token_format', 'must be jwt or opaque');
  const scopes = parseScope((input.scopes ?? []).join(' '));
  if (scopes === null) throw new InvalidInputError('scopes', 'must be space-separated RFC 6749 §3.3 scope tokens');
  const audience = input.audience?.trim();
  if (audience !== undefined && audience === '') throw new InvalidInputError('audience', 'may not be empty');
  const redirectUris = validRedirectUris(input.redirectUris ?? [], policy);
  // RFC 6749 §3.1.2.2: without a registered redirect URI the code could be sent anywhere.
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
    throw new InvalidInputError('redirect_uris', 'the authorization_code grant needs at least one redirect URI');
  }
  if (input.requirePar && !grantTypes.includes('authorization_code')) {
    throw new InvalidInputError('require_par', 'needs the authorization_code grant');
  }
  const others = (input.otherPermissions ?? []).filter((p) => p !== INTROSPECT_PERMISSION);
  return {
    grantTypes: grantTypes as GrantType[],
    scopes,
    permissions: input.introspect ? [...others, INTROSPECT_PERMISSION] : others,
    allowedOrigins: unique((input.origins ?? []).map(validOrigin)),
    accessTokenFormat: format,
    audience: audience ?? null,
    redirectUris,
    postLogoutRedirectUris: validRedirectUris(input.postLogoutRedirectUris ?? [], policy, 'post_logout_redirect_uris'),
    firstParty: input.firstParty ?? false,
    requirePar: input.requirePar ?? false,
    name: validName(input.name),
    requireDpop: input.requireDpop ?? false,
    requireMfa: input.requireMfa ?? false,
    backchannelLogoutUri: input.backchannelLogoutUri == null ? null : validBackchannelLogoutUri(input.backchannelLogoutUri, policy),
    backchannelLogoutSessionRequired: input.backchannelLogoutSessionRequired ?? true,
  };
}

const MAX_NAME_LENGTH = 100;
const CONTROL = /\p{Cc}/u;

/** The display name as stored: trimmed, one line, bounded; null when there is none. */
function validName(raw: string | null | undefined): string | null {
  if (raw === undefined || raw === null) return null;
  const name = raw.trim();
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) throw new InvalidInputError('client_name', `must be 1 to ${MAX_NAME_LENGTH} characters`);
  if (CONTROL.test(name)) throw new InvalidInputError('client_name', 'must not contain control characters');
  return name;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function validOrigin(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidInputError('origins', `${JSON.stringify(raw)} is not an origin`);
  }
  // An origin is scheme://host[:port] and nothing else (RFC 6454).
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== raw.replace(/\/$/, '')) {
    throw new InvalidInputError('origins', `${JSON.stringify(raw)} is not an http(s) origin without a path`);
  }
  return url.origin;
}
