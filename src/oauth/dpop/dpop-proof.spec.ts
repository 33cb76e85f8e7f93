import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { DpopProofError, IAT_WINDOW_SECONDS, MAX_PROOF_LENGTH, normalizeHtu, verifyDpopProof } from './dpop-proof.js';

const HTU = 'https://issuer.example/oauth/token';
const NOW = 1_800_000_000;

interface Signer {
  readonly alg: string;
  readonly privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  readonly jwk: JWK;
}

async function signer(alg: string, options: Parameters<typeof generateKeyPair>[1] = {}): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...options });
  return { alg, privateKey, jwk: await exportJWK(publicKey) };
}

function proof(s: Signer, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ jti: randomUUID(), htm: 'POST', htu: HTU, iat: NOW, ...claims })
    .setProtectedHeader({ alg: s.alg, typ: 'dpop+jwt', jwk: s.jwk, ...header })
    .sign(s.privateKey);
}

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

const expected = { htm: 'POST', htu: HTU, now: NOW };

function refusal(token: string, expectations: Parameters<typeof verifyDpopProof>[1] = expected): string {
  try {
    verifyDpopProof(token, expectations);
  } catch (error) {
    expect(error).toBeInstanceOf(DpopProofError);
    return (error as Error).message;
  }
  throw new Error('the proof was accepted');
}

describe('verifyDpopProof (RFC 9449 §4.3)', () => {
  let es256: Signer;
  beforeAll(async () => {
    es256 = await signer('ES256');
  });

  it.each(['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'])('accepts a proof signed with %s and returns the key thumbprint', async (alg) => {
    const s = await signer(alg);
    const verified = verifyDpopProof(await proof(s, { jti: 'one' }), expected);
    expect(verified).toEqual({ jkt: await calculateJwkThumbprint(s.jwk), jti: 'one', iat: NOW, nonce: undefined });
  });

  it('refuses alg none and HS256, whatever the header carries', async () => {
    const claims = b64({ jti: 'x', htm: 'POST', htu: HTU, iat: NOW });
    const none = `${b64({ alg: 'none', typ: 'dpop+jwt', jwk: es256.jwk })}.${claims}.`;
    expect(refusal(none)).toMatch(/compact JWS|alg/);
    const hs = await new SignJWT({ jti: 'x', htm: 'POST', htu: HTU, iat: NOW })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: es256.jwk })
      .sign(new TextEncoder().encode('a shared secret of thirty-two bytes!'));
    expect(refusal(hs)).toMatch(/alg must be an asymmetric/);
  });

  it('refuses a wrong or missing typ', async () => {
    expect(refusal(await proof(es256, {}, { typ: 'JWT' }))).toMatch(/typ/);
  });

  it('refuses a jwk with private members, or of another key type than the alg', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const withPrivate = await new SignJWT({ jti: 'x', htm: 'POST', htu: HTU, iat: NOW })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: privateJwk })
      .sign(privateKey);
    expect(refusal(withPrivate)).toMatch(/public key/);
    const ed = await signer('EdDSA');
    expect(refusal(await proof(es256, {}, { jwk: ed.jwk }))).toMatch(/does not suit/);
  });

  it('refuses a signature made by another key than the jwk', async () => {
    const other = await signer('ES256');
    expect(refusal(await proof(other, {}, { jwk: es256.jwk }))).toMatch(/signature/);
  });

  it('refuses a tampered payload', async () => {
    const [h, , s] = (await proof(es256)).split('.');
    expect(refusal(`${h}.${b64({ jti: 'x', htm: 'POST', htu: HTU, iat: NOW })}.${s}`)).toMatch(/signature/);
  });

  it('refuses a wrong htm or htu, and accepts an htu that differs only by normalisation, query or fragment', async () => {
    expect(refusal(await proof(es256, { htm: 'GET' }))).toMatch(/htm/);
    expect(refusal(await proof(es256, { htu: 'https://issuer.example/oauth/introspect' }))).toMatch(/htu/);
    expect(refusal(await proof(es256, { htu: 'https://evil.example/oauth/token' }))).toMatch(/htu/);
    expect(refusal(await proof(es256, { htu: 'not a url' }))).toMatch(/htu/);
    expect(refusal(await proof(es256, { htu: 42 }))).toMatch(/htu/);
    for (const htu of ['HTTPS://Issuer.EXAMPLE:443/oauth/token', 'https://issuer.example/oauth/./token?x=1#f']) {
      expect(verifyDpopProof(await proof(es256, { htu }), expected).jti).toBeDefined();
    }
  });

  it(`accepts an iat up to ${IAT_WINDOW_SECONDS} s either way, and refuses a stale or future one`, async () => {
    expect(verifyDpopProof(await proof(es256, { iat: NOW - IAT_WINDOW_SECONDS }), expected).iat).toBe(NOW - IAT_WINDOW_SECONDS);
    expect(verifyDpopProof(await proof(es256, { iat: NOW + IAT_WINDOW_SECONDS }), expected).iat).toBe(NOW + IAT_WINDOW_SECONDS);
    expect(refusal(await proof(es256, { iat: NOW - IAT_WINDOW_SECONDS - 1 }))).toMatch(/iat/);
    expect(refusal(await proof(es256, { iat: NOW + IAT_WINDOW_SECONDS + 1 }))).toMatch(/iat/);
    expect(refusal(await proof(es256, { iat: String(NOW) }))).toMatch(/iat/);
  });

  it('refuses a proof without jti', async () => {
    expect(refusal(await proof(es256, { jti: undefined }))).toMatch(/jti/);
    expect(refusal(await proof(es256, { jti: '' }))).toMatch(/jti/);
  });

  it('requires ath to be the hash of the access token presented with it', async () => {
    const accessToken = 'an.access.token';
    const ath = createHash('sha256').update(accessToken).digest('base64url');
    const withToken = { ...expected, htm: 'GET', accessToken };
    expect(verifyDpopProof(await proof(es256, { htm: 'GET', ath }), withToken).jti).toBeDefined();
    expect(refusal(await proof(es256, { htm: 'GET' }), withToken)).toMatch(/ath/);
    expect(refusal(await proof(es256, { htm: 'GET', ath: createHash('sha256').update('another').digest('base64url') }), withToken)).toMatch(/ath/);
  });

  it('returns the nonce for the caller to judge, and refuses a non-string one', async () => {
    expect(verifyDpopProof(await proof(es256, { nonce: 'n-1' }), expected).nonce).toBe('n-1');
    expect(refusal(await proof(es256, { nonce: 7 }))).toMatch(/nonce/);
  });

  it('refuses an oversize proof before parsing it, and things that are not JWS', async () => {
    const huge = await proof(es256, { padding: 'x'.repeat(MAX_PROOF_LENGTH) });
    expect(refusal(huge)).toMatch(/longer than/);
    expect(refusal('')).toMatch(/compact JWS/);
    expect(refusal('a.b')).toMatch(/compact JWS/);
    expect(refusal(`${b64([1])}.${b64({})}.AAAA`)).toMatch(/header/);
  });

  it('refuses a header with crit extensions', async () => {
    expect(refusal(await proof(es256, {}, { crit: ['b64'], b64: true }))).toMatch(/crit/);
  });
});

describe('normalizeHtu', () => {
  it('drops query and fragment, lowercases scheme and host, drops the default port', () => {
    expect(normalizeHtu('HTTPS://A.Example:443/x/../y?q#f')).toBe('https://a.example/y');
    expect(normalizeHtu('http://a.example:8080/p')).toBe('http://a.example:8080/p');
    expect(normalizeHtu('ftp://a.example/p')).toBeUndefined();
  });
});
