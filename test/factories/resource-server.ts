import { type HttpResult, postForm, type TestClient } from './index.js';

type Target = { readonly url: string };

/** The form a client sends: Basic for a confidential client, client_id for a public one. */
function authenticated(caller: TestClient, params: Record<string, string>): [Record<string, string>, Record<string, string>] {
  return caller.secret === undefined ? [{ ...params, client_id: caller.id }, {}] : [params, { authorization: caller.basic }];
}

/** POST /oauth/introspect as `caller` (RFC 7662 §2.1). */
export function introspect(t: Target, caller: TestClient, token: string, extra: Record<string, string> = {}): Promise<HttpResult> {
  const [params, headers] = authenticated(caller, { token, ...extra });
  return postForm(t, '/oauth/introspect', params, headers);
}

/** POST /oauth/revoke as `caller` (RFC 7009 §2.1). */
export function revoke(t: Target, caller: TestClient, token: string, extra: Record<string, string> = {}): Promise<HttpResult> {
  const [params, headers] = authenticated(caller, { token, ...extra });
  return postForm(t, '/oauth/revoke', params, headers);
}

/** Whether `caller` (a resource server) is told the token is active; fails on anything but 200. */
export async function isActive(t: Target, caller: TestClient, token: string): Promise<boolean> {
  const result = await introspect(t, caller, token);
  if (result.status !== 200) throw new Error(`introspection failed: ${result.status} ${result.text}`);
  return result.body.active === true;
}

/** The RFC 7662 §2.2 answer for anything not proven active, byte for byte. */
export const INACTIVE_BODY = '{"active":false}';

/** The claims of a JWT, read without verifying it (for assertions only). */
export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function jwtHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as Record<string, unknown>;
}
