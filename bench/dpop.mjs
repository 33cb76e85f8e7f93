// DPoP clients for the benchmark (RFC 9449): each connection holds its own P-256 key and
// signs a fresh ES256 proof per request, with the server nonce it last heard of, as
// openid-client does. Signing runs in the load generator, on its own core.
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A key and the proofs it signs for `htu`; `learn` keeps the nonce of each response. */
export function dpopSigner(htu, nonce) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const header = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicKey.export({ format: 'jwk' }) });
  let current = nonce;
  return {
    proof() {
      const payload = b64({ jti: randomUUID(), htm: 'POST', htu, iat: Math.floor(Date.now() / 1000), ...(current ? { nonce: current } : {}) });
      const input = `${header}.${payload}`;
      return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    },
    learn(headers) {
      const next = headers?.['dpop-nonce'];
      if (next) current = next;
    },
  };
}

/**
 * The server's current nonce, as a client learns it: a proof without one is refused with
 * use_dpop_nonce and the nonce in DPoP-Nonce (§8). Undefined when the server asks for none.
 */
export async function learnNonce(target) {
  const response = await fetch(`${target.url}${target.paths.token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: target.auth.app, dpop: dpopSigner(target.tokenHtu).proof() },
    body: target.clientCredentialsBody(),
  });
  await response.arrayBuffer();
  return response.headers.get('dpop-nonce') ?? undefined;
}

/** Connections that send `body` with a DPoP proof each (a key per connection). */
export function dpopFixed(target, nonce, body) {
  return () => {
    const signer = dpopSigner(target.tokenHtu, nonce);
    return {
      next: () => ({ body, headers: { dpop: signer.proof() } }),
      response: (_status, _body, headers) => signer.learn(headers),
    };
  };
}
