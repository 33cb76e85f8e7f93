import type { ResolvedConfig } from '../config/config.js';

/** Tessera as a WebAuthn Relying Party (§5.4.2). */
export interface RelyingParty {
  /** the RP ID: the host of ISSUER (§5.1.4.1: the origin's effective domain or a suffix of it) */
  readonly id: string;
  /** the only origin a credential may be used from: ISSUER's (§7.1 step 9, §7.2 step 13) */
  readonly origin: string;
  readonly name: string;
}

export const RELYING_PARTY = Symbol('RELYING_PARTY');

export function relyingPartyOf(config: Pick<ResolvedConfig, 'issuer'>): RelyingParty {
  const issuer = new URL(config.issuer);
  return { id: issuer.hostname, origin: issuer.origin, name: 'Tessera' };
}
