import { createHash, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { DpopService } from '../../src/oauth/dpop/dpop.service.js';
import type { TestApp } from '../setup/app.js';
import { type HttpResult, type TestClient } from './index.js';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** A client's DPoP key pair (RFC 9449 §2), made by jose as a client library would. */
export interface DpopKey {
  readonly alg: string;
  readonly privateKey: PrivateKey;
  readonly jwk: JWK;
  /** RFC 7638 thumbprint: what bound tokens carry in cnf.jkt */
  readonly jkt: string;
}

export async function dpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { alg, privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

export interface ProofOptions {
  readonly htm?: string;
  /** default: the token endpoint under the test app's ISSUER */
  readonly htu?: string;
  /** default: the app's clock */
  readonly iat?: number;
  readonly jti?: string;
  /** default: the server's current nonce; null leaves it out */
  readonly nonce?: string | null;
  /** the access token the proof goes with (ath) */
  readonly accessToken?: string;
  readonly claims?: Record<string, unknown>;
  readonly header?: Record<string, unknown>;
}

/** A proof signed with `key` for the test app, valid unless the options say otherwise. */
export function dpopProof(t: TestApp, key: DpopKey, options: ProofOptions = {}): Promise<string> {
  const nonce = options.nonce === undefined ? currentNonce(t) : options.nonce;
  return new SignJWT({
    jti: options.jti ?? randomUUID(),
    htm: options.htm ?? 'POST',
    htu: options.htu ?? `${t.config.issuer}/oauth/token`,
    iat: options.iat ?? Math.floor(t.clock.now() / 1000),
    ...(nonce === null ? {} : { nonce }),
    ...(options.accessToken === undefined ? {} : { ath: createHash('sha256').update(options.accessToken).digest('base64url') }),
    ...options.claims,
  })
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.jwk, ...options.header })
    .sign(key.privateKey);
}

/** The nonce the server hands out now (what a client learns from DPoP-Nonce). */
export function currentNonce(t: TestApp): string | undefined {
  return t.app.get(DpopService).nonceHeader()['DPoP-Nonce'];
}

/** A token request with DPoP header lines as given (several lines for one name when an array). */
export function dpopToken(t: Pick<TestApp, 'url'>, client: TestClient, params: Record<string, string>, dpop: string | string[]): Promise<HttpResult> {
  const body = new URLSearchParams(client.secret === undefined ? { ...params, client_id: client.id } : params).toString();
  const headers: Record<string, string | string[]> = { 'content-type': 'application/x-www-form-urlencoded', dpop };
  if (client.secret !== undefined) headers.authorization = client.basic;
  return rawRequest(`${t.url}/oauth/token`, 'POST', headers, body);
}

/**
 * node:http rather than fetch: fetch folds repeated header names into one line, and a
 * test of "two DPoP headers" must send two.
 */
export function rawRequest(url: string, method: string, headers: Record<string, string | string[]>, body?: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Record<string, unknown>;
        try {
          parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        } catch {
          parsed = {};
        }
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        resolve({ status: res.statusCode ?? 0, headers: responseHeaders, body: parsed, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
