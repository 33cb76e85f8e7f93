import { verifySignature } from './jws.js';
import type { KeysService } from './keys.service.js';

// Far above any token Tessera signs; a longer string is not worth decoding.
const MAX_TOKEN_LENGTH = 8_192;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
// RFC 8725 §2.1, §3.1: nothing in the header may choose the key or the algorithm. Tessera
// signs exactly these members, so any other (jku, x5u, jwk, x5c, crit, …) is refused.
const HEADER_MEMBERS = new Set(['alg', 'typ', 'kid']);

export interface ParsedJws {
  readonly alg: string;
  readonly kid: string;
  readonly signingInput: string;
  readonly payload: string;
  readonly signature: Buffer;
}

/**
 * A compact JWS of the shape Tessera signs, with header `typ` equal to `typ` (RFC 8725
 * §3.11: an access token is never taken for an ID token, nor the other way round), or
 * undefined. Nothing is verified yet.
 */
export function parseCompactJws(token: string, typ: string): ParsedJws | undefined {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) return undefined;
  const [header, payload, signature] = parts;
  const members = jsonObject(header);
  if (!members || Object.keys(members).some((name) => !HEADER_MEMBERS.has(name))) return undefined;
  const { alg, kid } = members;
  if (members.typ !== typ || typeof alg !== 'string' || typeof kid !== 'string') return undefined;
  return { alg, kid, signingInput: `${header}.${payload}`, payload, signature: Buffer.from(signature, 'base64url') };
}

/**
 * Whether one of this server's publishable keys, found by kid (nothing is ever fetched),
 * made the signature, with that key's own algorithm (RFC 8725 §3.1).
 */
export async function signedByOwnKey(keys: KeysService, jws: ParsedJws): Promise<boolean> {
  let key = keys.verificationKey(jws.kid);
  if (!key) {
    await keys.reloadForUnknownKid();
    key = keys.verificationKey(jws.kid);
  }
  if (!key || key.alg !== jws.alg) return false;
  return verifySignature(key.alg, key.key, jws.signingInput, jws.signature);
}

/** The JSON object a base64url part holds, or undefined. */
export function jsonObject(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
