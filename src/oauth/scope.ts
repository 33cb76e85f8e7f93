import { OAuthError } from './errors/oauth-error.js';
import type { FormParams } from './form/form-params.js';

/**
 * RFC 6749 §3.3: scope = scope-token *( SP scope-token ),
 * scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). Returns null when the value breaks it.
 */
export function parseScope(value: string | undefined): string[] | null {
  if (value === undefined || value === '') return [];
  const tokens = value.split(' ');
  for (const token of tokens) {
    if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(token)) return null;
  }
  return [...new Set(tokens)];
}

export function formatScope(scopes: readonly string[]): string {
  return scopes.join(' ');
}

/** The `scope` parameter: undefined when absent, invalid_scope when malformed. */
export function requestedScope(form: FormParams): string[] | undefined {
  const raw = form.get('scope');
  if (raw === undefined) return undefined;
  const scopes = parseScope(raw);
  if (scopes === null) throw new OAuthError('invalid_scope', 'scope must be space-separated scope tokens (RFC 6749 §3.3)');
  return scopes;
}

/**
 * The scope to grant: the requested one when every token of it is allowed, else
 * invalid_scope; when nothing was requested, the allowed scopes minus `explicitOnly`
 * (privileged scopes such as admin are granted only when asked for by name).
 */
export function grantScope(requested: string[] | undefined, allowed: readonly string[], explicitOnly: readonly string[] = []): string[] {
  if (requested === undefined) return allowed.filter((scope) => !explicitOnly.includes(scope));
  const denied = requested.filter((scope) => !allowed.includes(scope));
  if (denied.length > 0) throw new OAuthError('invalid_scope', 'the requested scope is not allowed for this client or user');
  return requested;
}
