import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock, epochSeconds } from '../../common/clock.js';
import { TokenHashers } from '../../common/token-hashers.js';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { OAuthError } from '../errors/oauth-error.js';
import { DPOP_SIGNING_ALGS } from './dpop-algs.js';
import { DpopNonces } from './dpop-nonces.js';
import { DpopProofStore } from './dpop-proof-store.js';
import { DpopProofError, IAT_WINDOW_SECONDS, type VerifiedProof, verifyDpopProof } from './dpop-proof.js';

/** What DPoP needs of an HTTP request: its method and its raw header lines. */
export interface DpopHttpRequest {
  readonly method: string;
  /** name, value, name, value… as received, so a repeated header is seen as repeated */
  readonly rawHeaders: readonly string[];
}

export const TOKEN_ENDPOINT_PATH = '/oauth/token';
export const PAR_ENDPOINT_PATH = '/oauth/par';

/**
 * The DPoP proofs of requests (RFC 9449): one proof per request, checked by
 * verifyDpopProof against the URL built from ISSUER, with a server nonce at the token
 * endpoint, and its jti accepted once across every process.
 */
@Injectable()
export class DpopService {
  private readonly nonces: DpopNonces;

  constructor(
    private readonly store: DpopProofStore,
    private readonly hashers: TokenHashers,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.nonces = new DpopNonces(config.tokenHashSecret);
  }

  /**
   * The proof of a token request (RFC 9449 §5), undefined when there is none. A bad one
   * is 400 invalid_dpop_proof, a missing or old nonce 400 use_dpop_nonce (§8), both with
   * the current nonce in DPoP-Nonce; nothing is issued either way.
   */
  atTokenEndpoint(request: DpopHttpRequest): Promise<VerifiedProof | undefined> {
    return this.atAuthorizationServer(request, TOKEN_ENDPOINT_PATH);
  }

  /**
   * The proof of a pushed authorization request (RFC 9449 §10.1): checked as at the token
   * endpoint, nonce included, with the PAR endpoint as htu. Its key binds the code.
   */
  atParEndpoint(request: DpopHttpRequest): Promise<VerifiedProof | undefined> {
    return this.atAuthorizationServer(request, PAR_ENDPOINT_PATH);
  }

  /** A proof at one of the endpoints where tokens (or codes) get bound to its key. */
  private async atAuthorizationServer(request: DpopHttpRequest, path: string): Promise<VerifiedProof | undefined> {
    const proof = singleProof(request, (message) => this.proofError('invalid_dpop_proof', message));
    if (proof === undefined) return undefined;
    const now = epochSeconds(this.clock);
    let verified: VerifiedProof;
    try {
      verified = verifyDpopProof(proof, { htm: request.method, htu: `${this.config.issuer}${path}`, now });
    } catch (error) {
      if (error instanceof DpopProofError) throw this.proofError('invalid_dpop_proof', error.message);
      throw error;
    }
    if (this.config.dpopRequireNonce && (verified.nonce === undefined || !this.nonces.accepts(verified.nonce, now))) {
      throw this.proofError('use_dpop_nonce', 'the authorization server requires a nonce in the DPoP proof');
    }
    await this.claimOnce(verified, (message) => this.proofError('invalid_dpop_proof', message));
    return verified;
  }

  /**
   * The proof that came with `Authorization: DPoP <token>` at one of Tessera's own
   * resources (RFC 9449 §7): bound to that token by ath, for this method and URL. Not
   * remembered yet: the caller accepts it once the token is known to be bound to its key.
   */
  proofAtResource(request: DpopHttpRequest, path: string, accessToken: string): VerifiedProof {
    const proof = singleProof(request, resourceRefusal) ?? fail(resourceRefusal('a DPoP proof is required with a DPoP access token'));
    try {
      return verifyDpopProof(proof, { htm: request.method, htu: `${this.config.issuer}${path}`, now: epochSeconds(this.clock), accessToken });
    } catch (error) {
      if (error instanceof DpopProofError) throw resourceRefusal(error.message);
      throw error;
    }
  }

  /** Accepts a resource's proof once across every process (§11.1); a second time is 401. */
  acceptAtResource(verified: VerifiedProof): Promise<void> {
    return this.claimOnce(verified, resourceRefusal);
  }

  /** The DPoP-Nonce header for a response to a request that carried a proof (§8.2). */
  nonceHeader(): Record<string, string> {
    return this.config.dpopRequireNonce ? { 'DPoP-Nonce': this.nonces.current(epochSeconds(this.clock)) } : {};
  }

  private async claimOnce(verified: VerifiedProof, refuse: (message: string) => OAuthError): Promise<void> {
    // §11.1: the jti is unique per key; remembered just until the proof would be stale.
    const key = this.hashers.dpopProof.hash(`${verified.jkt}.${verified.jti}`);
    const expiresAt = new Date((verified.iat + IAT_WINDOW_SECONDS + 1) * 1000);
    if (!(await this.store.claim(key, expiresAt))) throw refuse('the DPoP proof has been used before');
  }

  /** 400 with the current nonce (RFC 9449 §5, §8): how the token and PAR endpoints refuse a proof. */
  proofError(code: 'invalid_dpop_proof' | 'use_dpop_nonce', message: string): OAuthError {
    return new OAuthError(code, message, this.nonceHeader());
  }
}

/** RFC 9449 §7.1: the challenge of a DPoP-protected resource, naming the algorithms it takes. */
export function dpopChallenge(error?: string): Record<string, string> {
  const algs = `algs="${DPOP_SIGNING_ALGS.join(' ')}"`;
  return { 'WWW-Authenticate': `DPoP realm="tessera"${error ? `, error="${error}"` : ''}, ${algs}` };
}

/** RFC 9449 §7.1: a resource answers a bad proof 401 with a DPoP challenge. */
export function resourceRefusal(message: string): OAuthError {
  return new OAuthError('invalid_dpop_proof', message, dpopChallenge('invalid_dpop_proof'), 401);
}

/** §4.3 check 1: at most one DPoP header, and not an empty one. */
function singleProof(request: DpopHttpRequest, refuse: (message: string) => OAuthError): string | undefined {
  let found: string | undefined;
  const { rawHeaders } = request;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() !== 'dpop') continue;
    if (found !== undefined) throw refuse('a request carries at most one DPoP header');
    found = rawHeaders[i + 1];
  }
  if (found !== undefined && found.trim() === '') throw refuse('the DPoP header is empty');
  return found?.trim();
}

function fail(error: OAuthError): never {
  throw error;
}
