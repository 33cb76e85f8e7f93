import type { Page, PageRequest } from '../common/page.js';
import type { Family, RevocationReason } from '../sessions/family.js';

export const GRANT_TYPES = ['password', 'refresh_token', 'client_credentials', 'authorization_code'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];
export type ClientType = 'confidential' | 'public';
export type AccessTokenFormat = 'jwt' | 'opaque';
export const INTROSPECT_PERMISSION = 'introspect';

export interface Client {
  readonly id: string;
  readonly type: ClientType;
  /** HMAC-SHA-256 of the secret; null for public clients */
  readonly secretHash: Buffer | null;
  /** the secret a rotation replaced, accepted until previousSecretExpiresAt (same hash) */
  readonly previousSecretHash?: Buffer | null;
  readonly previousSecretExpiresAt?: Date | null;
  readonly grantTypes: readonly GrantType[];
  readonly scopes: readonly string[];
  readonly permissions: readonly string[];
  readonly allowedOrigins: readonly string[];
  readonly accessTokenFormat: AccessTokenFormat;
  readonly audience: string | null;
  /** RFC 6749 §3.1.2: compared by exact string match at the authorization endpoint */
  readonly redirectUris: readonly string[];
  /** OIDC RP-Initiated Logout 1.0 §3.1: where logout may send the browser back, compared exactly */
  readonly postLogoutRedirectUris: readonly string[];
  /** Tessera's own applications: the user is not asked for consent */
  readonly firstParty: boolean;
  /** RFC 9126 §6: plain authorization requests are refused, only pushed ones accepted */
  readonly requirePar: boolean;
  /** RFC 7591 §2 client_name: shown to users on the hosted pages instead of the id */
  readonly name: string | null;
  /** RFC 9449 §5.2 dpop_bound_access_tokens: token requests without a DPoP proof are refused */
  readonly requireDpop: boolean;
  /** authorizations need a login session with a second factor (amr contains mfa, RFC 8176) */
  readonly requireMfa: boolean;
  /** Back-Channel Logout 1.0 §2.2: where logout tokens are POSTed; null: not registered */
  readonly backchannelLogoutUri: string | null;
  /** §2.2 backchannel_logout_session_required; Tessera always sends sid, so only shown */
  readonly backchannelLogoutSessionRequired: boolean;
  readonly createdAt: Date;
}

/** What `clients update` may change: the registration, never the type or the secret. */
export type ClientSettings = Pick<
  Client,
  'grantTypes' | 'scopes' | 'permissions' | 'allowedOrigins' | 'accessTokenFormat' | 'audience' | 'redirectUris' | 'postLogoutRedirectUris' | 'firstParty' | 'requirePar' | 'requireDpop' | 'requireMfa' | 'name'
  | 'backchannelLogoutUri' | 'backchannelLogoutSessionRequired'
>;

export abstract class ClientStore {
  abstract findById(id: string): Promise<Client | undefined>;
  /** Newest first. */
  abstract list(page: PageRequest): Promise<Page<Client>>;
  /**
   * In one transaction: locks the client (a login starting for it waits, then fails its
   * foreign key), revokes its live families, announcing each on the revocation feed so
   * that their access tokens die everywhere, announces the client itself (a `client`
   * event until `tombstoneUntil`: every token carrying its id dies, and the id is not
   * registered again before then), and deletes the client. Returns the families it
   * revoked, or undefined when the client does not exist.
   */
  abstract delete(
    id: string,
    reason: RevocationReason,
    actor: string,
    now: Date,
    relevantUntil: Date,
    tombstoneUntil: Date,
  ): Promise<Family[] | undefined>;
  /** Every scope some client is registered with, each once, sorted. */
  abstract registeredScopes(): Promise<string[]>;
  /**
   * Throws DuplicateError when the client id is taken, or was deleted less than a token
   * lifetime ago (its tombstone is live at `client.createdAt`).
   */
  abstract insert(client: Client): Promise<void>;
  /**
   * Reads the client under a row lock, asks `change` for its new settings (it may throw
   * to refuse them) and writes them, in one transaction: two concurrent updates never
   * undo each other. Undefined when the client does not exist.
   */
  abstract update(id: string, change: (current: Client) => ClientSettings): Promise<Client | undefined>;
  /**
   * Replaces a confidential client's secret hash in one statement. The replaced hash stays
   * valid until `previousExpiresAt`, or not at all when that is null; a secret kept from an
   * earlier rotation is dropped. Undefined when there is no such confidential client.
   */
  abstract rotateSecret(id: string, secretHash: Buffer, previousExpiresAt: Date | null): Promise<Client | undefined>;
}
