/**
 * Every command of `tessera`, declared once: the parser, the usage text and the per-command
 * help all read this table. It imports nothing, so `--help` and usage errors answer before
 * the application is loaded.
 */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** the value's placeholder in help, e.g. `<g1,g2>` */
  readonly value?: string;
  readonly choices?: readonly string[];
  readonly integer?: { readonly min: number; readonly max: number };
  readonly required?: boolean;
  /** also accepts --no-<name>: false for a boolean, null (remove) for a string */
  readonly negatable?: boolean;
  readonly help: string;
}

export interface CommandSpec {
  readonly name: string;
  /** positional arguments, all required */
  readonly args: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly summary: string;
  /** help text shown by `tessera help <command>` below the synopsis */
  readonly details?: string;
  /** at least one option must be given (an update with nothing to change is a mistake) */
  readonly needsAnOption?: boolean;
}

const GRANTS = 'password, refresh_token, client_credentials, authorization_code';

const CLIENT_SETTINGS = {
  grants: { type: 'string', value: '<g1,g2>', help: `grant types, comma-separated: ${GRANTS}` },
  scopes: { type: 'string', value: '"a b"', help: 'the scopes the client may ask for, space-separated' },
  introspect: { type: 'boolean', negatable: true, help: 'may introspect any token (a resource server); confidential clients only' },
  origins: { type: 'string', value: '<o1,o2>', help: 'browser origins allowed to use /auth/*, comma-separated' },
  'access-token-format': { type: 'string', value: 'jwt|opaque', choices: ['jwt', 'opaque'], help: 'JWT (RFC 9068) or opaque reference tokens' },
  audience: { type: 'string', value: '<aud>', help: 'the aud of its access tokens (default: ACCESS_TOKEN_AUDIENCE)' },
  'redirect-uris': { type: 'string', value: '<u1,u2>', help: 'where authorization codes may be sent, comma-separated, compared exactly' },
  'post-logout-redirect-uris': {
    type: 'string',
    value: '<u1,u2>',
    help: 'where logout may send the browser back (OpenID Connect RP-Initiated Logout), comma-separated, compared exactly',
  },
  'first-party': { type: 'boolean', negatable: true, help: 'one of your own applications: users are not asked for consent' },
  'require-par': { type: 'boolean', negatable: true, help: 'accept only pushed authorization requests (RFC 9126)' },
  name: { type: 'string', value: '<n>', help: 'the name users see on the login and consent pages (default: the client_id)' },
  'require-dpop': { type: 'boolean', negatable: true, help: 'refuse token requests without a DPoP proof: no Bearer tokens (RFC 9449)' },
  'require-mfa': { type: 'boolean', negatable: true, help: 'authorize only users signed in with a second factor (ID token amr contains mfa)' },
  'backchannel-logout-uri': {
    type: 'string',
    value: '<u>',
    negatable: true,
    help: 'where logout tokens are POSTed when its sessions end (OpenID Back-Channel Logout); https',
  },
  'backchannel-logout-session-required': {
    type: 'boolean',
    negatable: true,
    help: 'the client needs sid in logout tokens (default true; Tessera always sends it)',
  },
} as const satisfies Record<string, OptionSpec>;

const PASSWORD_INPUT = 'The password is read from TESSERA_PASSWORD, or else from a hidden prompt (or one line of standard input).';

export const COMMANDS: readonly CommandSpec[] = [
  { name: 'migrate', args: [], options: {}, summary: 'apply the database migrations that have not run yet' },
  {
    name: 'users create',
    args: ['username'],
    options: {
      admin: { type: 'boolean', help: 'give the user the admin role (may get scope admin)' },
      email: { type: 'string', value: '<e>', help: 'email address, the OpenID Connect claim email (scope email)' },
      'email-verified': { type: 'boolean', help: 'the address is known to be theirs (claim email_verified; default false)' },
      name: { type: 'string', value: '<n>', help: 'full name, the OpenID Connect claim name (scope profile)' },
    },
    summary: 'create a user',
    details: PASSWORD_INPUT,
  },
  {
    name: 'users list',
    args: [],
    options: { limit: { type: 'string', value: '<n>', integer: { min: 1, max: 10_000 }, help: 'show at most n users, newest first (default 100)' } },
    summary: 'list users, newest first',
  },
  {
    name: 'users disable',
    args: ['username'],
    options: {},
    summary: 'disable a user: logins fail and every session ends',
    details: 'Every session of the user is revoked and their access tokens introspect inactive at once.',
  },
  { name: 'users enable', args: ['username'], options: {}, summary: 'enable a disabled user' },
  {
    name: 'users set-password',
    args: ['username'],
    options: {},
    summary: "set a user's password; ends every session of theirs",
    details: `${PASSWORD_INPUT}\nA password is changed when it may be known to someone else, so every session made with the old one ends (reason password_changed).`,
  },
  {
    name: 'users reset-mfa',
    args: ['username'],
    options: {},
    summary: "remove a user's second factor (TOTP and recovery codes)",
    details: 'For a user who lost their authenticator app and recovery codes; audited as second_factor_removed.',
  },
  {
    name: 'clients create',
    args: ['client_id'],
    options: {
      type: { type: 'string', value: 'confidential|public', choices: ['confidential', 'public'], required: true, help: 'a confidential client has a secret' },
      ...CLIENT_SETTINGS,
      grants: { ...CLIENT_SETTINGS.grants, required: true },
      introspect: { type: 'boolean', help: CLIENT_SETTINGS.introspect.help },
      'first-party': { type: 'boolean', help: CLIENT_SETTINGS['first-party'].help },
      'require-par': { type: 'boolean', help: CLIENT_SETTINGS['require-par'].help },
      'require-dpop': { type: 'boolean', help: CLIENT_SETTINGS['require-dpop'].help },
      'require-mfa': { type: 'boolean', help: CLIENT_SETTINGS['require-mfa'].help },
      audience: { type: 'string', value: '<aud>', help: CLIENT_SETTINGS.audience.help },
      'backchannel-logout-uri': { type: 'string', value: '<u>', help: CLIENT_SETTINGS['backchannel-logout-uri'].help },
      'secret-stdin': { type: 'boolean', help: 'read the secret from standard input instead of generating one' },
    },
    summary: 'register a client; prints a generated secret once',
  },
  { name: 'clients list', args: [], options: {}, summary: 'list clients, newest first' },
  { name: 'clients show', args: ['client_id'], options: {}, summary: "show a client's registration (never its secret)" },
  {
    name: 'clients update',
    args: ['client_id'],
    options: { ...CLIENT_SETTINGS, audience: { ...CLIENT_SETTINGS.audience, negatable: true }, name: { ...CLIENT_SETTINGS.name, negatable: true } },
    summary: 'change a client: only the options given change',
    details:
      '--no-introspect removes the permission, --no-audience the client\'s own audience, --no-name its name,\n' +
      '--no-backchannel-logout-uri its back-channel logout URI, --no-first-party, --no-require-par,\n' +
      '--no-require-dpop and --no-require-mfa their flags; --redirect-uris and --post-logout-redirect-uris each replace their\n' +
      'whole list. The type cannot change.',
    needsAnOption: true,
  },
  {
    name: 'clients delete',
    args: ['client_id'],
    options: {},
    summary: 'delete a client and end its sessions',
  },
  {
    name: 'clients rotate-secret',
    args: ['client_id'],
    options: {
      grace: {
        type: 'string',
        value: '<seconds>',
        integer: { min: 0, max: 604_800 },
        help: 'how long the old secret keeps working (default 0: it stops at once; at most 7 days)',
      },
    },
    summary: 'give a confidential client a new secret, printed once',
    details: 'Without --grace the old secret stops working at once, as a leaked one must. With --grace,\nboth work until it ends, so that every deployment of the client can switch to the new one.',
  },
  {
    name: 'keys rotate',
    args: [],
    options: {},
    summary: 'add a new signing key; it signs after KEY_PUBLISH_DELAY',
    details:
      'The new key, of this environment\'s SIGNING_ALG, is in the JWKS at once and signs KEY_PUBLISH_DELAY\nseconds later; the old key stays published until its last token has expired. Refused while\nthe key of a previous rotation is still pending.',
  },
  {
    name: 'sessions revoke',
    args: [],
    options: { user: { type: 'string', value: '<username>', required: true, help: 'the user whose sessions end' } },
    summary: 'revoke every session of a user; prints revoked: N',
  },
  {
    name: 'cleanup',
    args: [],
    options: { 'batch-size': { type: 'string', value: '<n>', integer: { min: 1, max: 100_000 }, help: 'rows deleted per statement' } },
    summary: 'one janitor pass now; prints what it deleted per table',
  },
];

export type CommandName = (typeof COMMANDS)[number]['name'];
