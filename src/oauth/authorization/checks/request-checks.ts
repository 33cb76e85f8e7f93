import type { Client } from '../../../clients/client.js';
import { authorizableScopes } from '../../oidc/oidc-scopes.js';
import { parseScope } from '../../scope.js';
import { AuthorizationError, invalidRequest } from '../authorization-error.js';
import type { Parameters, Prompt } from '../authorization-request.js';
import { validS256Challenge } from '../pkce.js';

/*
 * The checks whose errors go back to the client (RFC 6749 §4.1.2.1): they run once the
 * client and its redirect URI are proven. Each reads the parameters and throws the
 * error its rule names; none changes anything.
 */

export interface CheckInput {
  readonly params: Parameters;
  readonly client: Client;
  /** the parameters came from a pushed authorization request (RFC 9126) */
  readonly pushed: boolean;
  /** REQUIRE_PAR: every client must push its requests */
  readonly parRequired?: boolean;
}

export const MAX_STATE = 2048;
const MAX_NONCE = 512;
const MAX_LOGIN_HINT = 256;
const PROMPTS: readonly Prompt[] = ['none', 'login', 'consent'];

/** RFC 9126 §5, §6: a client registered for PAR, or every client when the server says so, sends every request through it. */
export function checkRequirePar({ client, pushed, parRequired }: CheckInput): void {
  if ((client.requirePar || parRequired) && !pushed) throw invalidRequest('this client must use pushed authorization requests (request_uri)');
}

export function checkResponseType({ params }: CheckInput): void {
  const type = params.get('response_type');
  if (type === undefined) throw invalidRequest('missing parameter: response_type');
  if (type !== 'code') throw new AuthorizationError('unsupported_response_type', 'response_type must be code');
}

/** Only the query response mode (RFC 6749 §4.1.2); the others would put the code elsewhere. */
export function checkResponseMode({ params }: CheckInput): void {
  const mode = params.get('response_mode');
  if (mode !== undefined && mode !== 'query') throw invalidRequest('response_mode must be query');
}

/** RFC 6749 §3.3: well-formed, and only scopes registered for the client or defined by OpenID Connect. */
export function checkScope({ params, client }: CheckInput): void {
  const scope = parseScope(params.get('scope'));
  if (scope === null) throw new AuthorizationError('invalid_scope', 'scope must be space-separated scope tokens (RFC 6749 §3.3)');
  const allowed = authorizableScopes(client);
  if (scope.some((s) => !allowed.includes(s))) throw new AuthorizationError('invalid_scope', 'the requested scope is not allowed for this client');
}

/** RFC 9449 §10: dpop_jkt is a JWK SHA-256 thumbprint (RFC 7638), 43 base64url characters. */
export function checkDpopJkt({ params }: CheckInput): void {
  const jkt = params.get('dpop_jkt');
  if (jkt !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(jkt)) throw invalidRequest('dpop_jkt must be a JWK SHA-256 thumbprint (RFC 9449 §10)');
}

/** OAuth 2.1 §4.1.1: PKCE for every client, S256 only (plain is refused, and so is its default). */
export function checkPkce({ params }: CheckInput): void {
  const challenge = params.get('code_challenge');
  if (challenge === undefined) throw invalidRequest('missing parameter: code_challenge (PKCE with S256 is required)');
  if (params.get('code_challenge_method') !== 'S256') throw invalidRequest('code_challenge_method must be S256');
  if (!validS256Challenge(challenge)) throw invalidRequest('code_challenge must be 43 base64url characters (RFC 7636 §4.2)');
}

export function checkState({ params }: CheckInput): void {
  if ((params.get('state')?.length ?? 0) > MAX_STATE) throw invalidRequest(`state is longer than ${MAX_STATE} characters`);
}

export function checkNonce({ params }: CheckInput): void {
  if ((params.get('nonce')?.length ?? 0) > MAX_NONCE) throw invalidRequest(`nonce is longer than ${MAX_NONCE} characters`);
}

/** OIDC Core §3.1.2.1: known values only, and none alone. */
export function checkPrompt({ params }: CheckInput): void {
  const prompt = parsePrompt(params.get('prompt'));
  if (prompt === null) throw invalidRequest('prompt must be none, or login and/or consent');
}

export function checkMaxAge({ params }: CheckInput): void {
  const raw = params.get('max_age');
  if (raw !== undefined && parseMaxAge(raw) === undefined) throw invalidRequest('max_age must be a whole number of seconds');
}

export function checkLoginHint({ params }: CheckInput): void {
  if ((params.get('login_hint')?.length ?? 0) > MAX_LOGIN_HINT) throw invalidRequest(`login_hint is longer than ${MAX_LOGIN_HINT} characters`);
}

/** The prompt values, or null when the value breaks OIDC Core §3.1.2.1. */
export function parsePrompt(raw: string | undefined): Set<Prompt> | null {
  if (raw === undefined) return new Set();
  const values = raw.split(' ');
  if (values.some((value) => !(PROMPTS as readonly string[]).includes(value))) return null;
  const prompt = new Set(values as Prompt[]);
  if (prompt.size !== values.length || (prompt.has('none') && prompt.size > 1)) return null;
  return prompt;
}

export function parseMaxAge(raw: string): number | undefined {
  return /^\d{1,9}$/.test(raw) ? Number(raw) : undefined;
}
