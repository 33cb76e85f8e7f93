import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { jsonObject, parseCompactJws, signedByOwnKey } from '../keys/compact-jws.js';
import { KeysService } from '../keys/keys.service.js';
import { ID_TOKEN_TYP } from './keys-id-token.signer.js';

/** What a logout request may learn from an ID token this server issued. */
export interface IdTokenHint {
  readonly sub: string;
  /** the client(s) it was issued to */
  readonly aud: readonly string[];
  /** the Tessera login session it was issued in (or the family, outside one) */
  readonly sid: string | undefined;
}

/**
 * RP-Initiated Logout 1.0 §2 id_token_hint: an ID token that this server signed (one of
 * its own publishable keys, typ JWT, never an access token) and whose iss is this
 * issuer. Its exp is not checked: §4 lets the OP accept an expired ID token as a hint,
 * which is what an RP holding only an old ID token sends. How old it may be is bounded by
 * key retirement: a key leaves the JWKS once its tokens have expired.
 */
@Injectable()
export class IdTokenHintVerifier {
  constructor(
    private readonly keys: KeysService,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
  ) {}

  async verify(token: string): Promise<IdTokenHint | undefined> {
    const jws = parseCompactJws(token, ID_TOKEN_TYP);
    if (!jws || !(await signedByOwnKey(this.keys, jws))) return undefined;
    const claims = jsonObject(jws.payload);
    if (!claims || claims.iss !== this.config.issuer) return undefined;
    const { sub, aud, sid } = claims;
    const audience = typeof aud === 'string' ? [aud] : aud;
    if (!nonEmpty(sub) || !Array.isArray(audience) || audience.length === 0 || !audience.every(nonEmpty)) return undefined;
    if (sid !== undefined && !nonEmpty(sid)) return undefined;
    return { sub, aud: audience, sid };
  }
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
