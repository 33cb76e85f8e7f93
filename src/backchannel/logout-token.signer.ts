import { Injectable } from '@nestjs/common';
import type { JwsSigner } from '../oauth/keys/jws.js';
import { KeysService } from '../oauth/keys/keys.service.js';
import { LOGOUT_TOKEN_TYP, type LogoutTokenClaims } from './logout-token.js';

/** Logout tokens signed by the active key of the JWKS (Back-Channel Logout 1.0 §2.4: as ID tokens are). */
@Injectable()
export class LogoutTokenSigner {
  private signer: JwsSigner | undefined;

  constructor(private readonly keys: KeysService) {}

  sign(claims: LogoutTokenClaims): string {
    const active = this.keys.accessTokenSigner();
    // Rebuilt only when the key rotates.
    if (this.signer?.kid !== active.kid) this.signer = active.withTyp(LOGOUT_TOKEN_TYP);
    return this.signer.sign(claims);
  }
}
