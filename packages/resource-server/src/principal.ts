/** Who a verified access token speaks for, and what it allows. */
export interface Principal {
  /** `sub`: the user id, or the client id for a client_credentials token */
  readonly subject: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  /** `sid`: the login session, when a user logged in */
  readonly sessionId?: string;
  /** `jti` */
  readonly tokenId?: string;
  /** `iat` and `exp`, in seconds since the epoch */
  readonly issuedAt?: number;
  readonly expiresAt: number;
  /** `cnf.jkt`: the thumbprint of the DPoP key the token is bound to (RFC 9449 §6) */
  readonly boundKey?: string;
  /** every claim, as verified (JWT) or as introspection answered */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly verifiedBy: 'jwt' | 'introspection';
}

/** The Principal of a JWT payload or an introspection answer, both shaped by RFC 9068 / RFC 7662. */
export function principalFrom(claims: Record<string, unknown>, verifiedBy: Principal['verifiedBy']): Principal {
  const text = (name: string) => (typeof claims[name] === 'string' ? claims[name] : undefined);
  const number = (name: string) => (typeof claims[name] === 'number' ? claims[name] : undefined);
  return {
    subject: text('sub') ?? '',
    clientId: text('client_id') ?? '',
    scopes: (text('scope') ?? '').split(' ').filter(Boolean),
    sessionId: text('sid'),
    tokenId: text('jti'),
    issuedAt: number('iat'),
    expiresAt: number('exp') ?? 0,
    boundKey: jktOf(claims.cnf),
    claims,
    verifiedBy,
  };
}

function jktOf(cnf: unknown): string | undefined {
  return typeof cnf === 'object' && cnf !== null && typeof (cnf as { jkt?: unknown }).jkt === 'string' ? (cnf as { jkt: string }).jkt : undefined;
}
