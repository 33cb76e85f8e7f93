/**
 * Proofs already accepted, across every process (RFC 9449 §11.1). Owned by oauth/dpop/;
 * implemented in persistence/.
 */
export abstract class DpopProofStore {
  /**
   * Records the proof `key` as used until `expiresAt`: true for the one caller that
   * recorded it first, false for every other, whatever process it runs in.
   */
  abstract claim(key: Buffer, expiresAt: Date): Promise<boolean>;
}
