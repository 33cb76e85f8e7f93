import { Injectable } from '@nestjs/common';
import type { JwsSigner } from '../keys/jws.js';
import { KeysService } from '../keys/keys.service.js';
import { IdTokenSigner } from './id-token.js';

/** OIDC Core §2: the JWT's own typ; never at+jwt, so no verifier of access tokens takes one (RFC 8725 §3.11). */
export const ID_TOKEN_TYP = 'JWT';

/** ID tokens signed by the key that signs now, the one access tokens are signed with. */
@Injectable()
export class KeysIdTokenSigner extends IdTokenSigner {
  private signer?: JwsSigner;

  constructor(private readonly keys: KeysService) {
    super();
  }

  sign(claims: object): string {
    const active = this.keys.accessTokenSigner();
    if (this.signer?.kid !== active.kid) this.signer = active.withTyp(ID_TOKEN_TYP);
    return this.signer.sign(claims);
  }
}
