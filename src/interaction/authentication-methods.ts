/**
 * Authentication Method Reference values (RFC 8176 §2) Tessera records: what a login
 * proved, on the login session, each code it issues, and the family the code starts.
 */
export type AuthenticationMethod = 'pwd' | 'otp' | 'hwk' | 'swk' | 'user' | 'mfa';

/** A password alone: what every login proved before a second factor existed. */
export const PASSWORD_ONLY: readonly AuthenticationMethod[] = ['pwd'];

// RFC 8176 §2 "mfa": more than one factor. Knowledge (pwd), possession (otp, hwk, swk)
// and inherence (user verification on an authenticator): two kinds make it multi-factor.
const FACTOR: Readonly<Record<Exclude<AuthenticationMethod, 'mfa'>, string>> = {
  pwd: 'knowledge',
  otp: 'possession',
  hwk: 'possession',
  swk: 'possession',
  user: 'inherence',
};

/**
 * The methods of one login, in a stable order, with `mfa` added when they span two kinds of
 * factor. A passkey login can say ['hwk', 'user'] and get 'mfa'; a password and a TOTP
 * code get ['pwd', 'otp', 'mfa'].
 */
export function authenticationMethods(methods: Iterable<string>): AuthenticationMethod[] {
  const known = new Set<AuthenticationMethod>();
  for (const method of methods) if (isMethod(method)) known.add(method);
  const kinds = new Set([...known].flatMap((m) => (m === 'mfa' ? [] : [FACTOR[m]])));
  if (kinds.size >= 2) known.add('mfa');
  const order: readonly AuthenticationMethod[] = ['pwd', 'otp', 'hwk', 'swk', 'user', 'mfa'];
  return order.filter((m) => known.has(m));
}

/** The login proved a second factor: what --require-mfa clients need. */
export function isMultiFactor(methods: readonly string[]): boolean {
  return methods.includes('mfa');
}

function isMethod(value: string): value is AuthenticationMethod {
  return Object.hasOwn(FACTOR, value) || value === 'mfa';
}
