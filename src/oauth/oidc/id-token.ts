/** Signs an ID token: the active signing key, header `typ: JWT`, never `at+jwt` (RFC 8725 §3.11). */
export abstract class IdTokenSigner {
  abstract sign(claims: object): string;
}

/** The authentication a family was started by, as its ID tokens state it. */
export interface FamilyAuthentication {
  readonly authTime: Date;
  /** RFC 8176 amr of that authentication */
  readonly amr: readonly string[];
  /** the login session id, or the family id when it was started outside one */
  readonly sid: string;
}

/** Owned by oauth/oidc; implemented in persistence/. */
export abstract class FamilyAuthenticationStore {
  /** Undefined for an unknown family or one started before auth_time was recorded. */
  abstract find(familyId: string): Promise<FamilyAuthentication | undefined>;
}
