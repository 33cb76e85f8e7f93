import { Injectable } from '@nestjs/common';
import type { JwsSigner } from '../oauth/keys/jws.js';
import { KeysService } from '../oauth/keys/keys.service.js';
import { SECURITY_EVENT_TYP, type SecurityEventClaims } from './security-event.js';

/**
 * Signs SETs with the active key of the JWKS, typed secevent+jwt (RFC 8417 §2.3, SSF 1.0
 * §4.1.1) so that no verifier of access or ID tokens can take one for its own kind.
 */
@Injectable()
export class SecurityEventSigner {
  private signer: JwsSigner | undefined;

  constructor(private readonly keys: KeysService) {}

  sign(claims: SecurityEventClaims): string {
    const active = this.keys.accessTokenSigner();
    // Rebuilt only when the key rotates.
    if (this.signer?.kid !== active.kid) this.signer = active.withTyp(SECURITY_EVENT_TYP);
    return this.signer.sign(claims);
  }
}
