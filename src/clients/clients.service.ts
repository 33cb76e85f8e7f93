import { Inject, Injectable, Logger } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { constantTimeEqual } from '../common/crypto.js';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { InvalidInputError } from '../common/errors.js';
import { oneLineError } from '../common/one-line-error.js';
import { RecentCache } from '../common/recent-cache.js';
import type { Page, PageRequest } from '../common/page.js';
import { opaqueToken, RANDOM, type Random } from '../common/random.js';
import { TokenHashers } from '../common/token-hashers.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { SessionRevoker } from '../sessions/session-revoker.service.js';
import { type AccessTokenFormat, type Client, ClientStore, type ClientType, INTROSPECT_PERMISSION } from './client.js';
import { CLIENT_ID, type ClientRegistration, validClientId, validSettings } from './client-rules.js';
import { refuseConsoleClientChange, withConsoleRedirect } from './console-client.js';
import { type RedirectUriPolicy } from './redirect-uris.js';
import { RegisteredScopes } from './registered-scopes.js';
import { estimatedSecretBits, MIN_SECRET_BITS } from './secret-strength.js';

export interface NewClient {
  readonly id: string;
  readonly type: ClientType;
  readonly grantTypes: readonly string[];
  readonly scopes?: readonly string[];
  readonly introspect?: boolean;
  readonly origins?: readonly string[];
  readonly accessTokenFormat?: AccessTokenFormat;
  readonly audience?: string;
  readonly redirectUris?: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
  readonly firstParty?: boolean;
  readonly requirePar?: boolean;
  readonly name?: string;
  readonly requireDpop?: boolean;
  readonly requireMfa?: boolean;
  readonly backchannelLogoutUri?: string | null;
  readonly backchannelLogoutSessionRequired?: boolean;
  /** set the secret instead of generating one (confidential clients only) */
  readonly secret?: string;
}

export interface CreatedClient {
  readonly client: Client;
  /** shown once, never stored */
  readonly secret: string | undefined;
}

/** What an admin may change: the registration's settings, each optional; undefined members stay as they are, `audience: null` and `name: null` remove them. */
export type ClientChange = Partial<Omit<ClientRegistration, 'type' | 'otherPermissions'>>;

export interface RotatedSecret {
  readonly client: Client;
  /** shown once, never stored */
  readonly secret: string;
}

// The audit log names what changed as the admin API does.
const CHANGE_NAMES: Readonly<Record<keyof ClientChange, string>> = {
  grantTypes: 'grant_types',
  scopes: 'scopes',
  introspect: 'introspect',
  origins: 'origins',
  accessTokenFormat: 'access_token_format',
  audience: 'audience',
  redirectUris: 'redirect_uris',
  postLogoutRedirectUris: 'post_logout_redirect_uris',
  firstParty: 'first_party',
  requirePar: 'require_par',
  name: 'client_name',
  requireDpop: 'dpop_bound_access_tokens',
  requireMfa: 'require_mfa',
  backchannelLogoutUri: 'backchannel_logout_uri',
  backchannelLogoutSessionRequired: 'backchannel_logout_session_required',
};
const MIN_SECRET_LENGTH = 32;
/** A client registered by another process shows in the metadata within this (clients cache it 300 s anyway). */
const SCOPES_MAX_AGE_MS = 30_000;
/** Long enough to roll a new secret out to every deployment of a client, short enough to bound a leak. */
export const MAX_SECRET_GRACE_SECONDS = 7 * 24 * 3600;

@Injectable()
export class ClientsService {
  private readonly recent: RecentCache<string, Client>;
  private readonly matchedSecrets = new WeakMap<Client, Buffer>();
  private readonly scopes: RegisteredScopes;
  private readonly logger = new Logger('clients');
  private readonly redirectUriPolicy: RedirectUriPolicy;
  private readonly issuer: string;

  constructor(
    private readonly store: ClientStore,
    private readonly hashers: TokenHashers,
    private readonly audit: AuditService,
    private readonly revoker: SessionRevoker,
    @Inject(CONFIG) config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: Random,
  ) {
    this.redirectUriPolicy = { production: config.production };
    this.issuer = config.issuer;
    this.recent = new RecentCache(config.introspectionCacheSize, config.revocationMaxStalenessMs, clock);
    this.scopes = new RegisteredScopes(() => store.registeredScopes(), SCOPES_MAX_AGE_MS, clock, (error) =>
      this.logger.warn(`cannot read the registered scopes, the metadata keeps the last known: ${oneLineError(error)}`),
    );
  }

  async create(input: NewClient, actor: string): Promise<CreatedClient> {
    const client: Omit<Client, 'secretHash'> = {
      id: validClientId(input.id),
      type: input.type,
      ...validSettings(input, this.redirectUriPolicy),
      createdAt: new Date(this.clock.now()),
    };
    const secret = client.type === 'confidential' ? (input.secret ?? opaqueToken(this.random)) : undefined;
    if (input.secret !== undefined && client.type === 'public') throw new InvalidInputError('secret', 'public clients have no secret');
    if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
      throw new InvalidInputError('secret', `must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    // A secret is checked with a cheap HMAC and a right one is never throttled (README
    // "Brute force"): what bounds guessing a hand-set one is its strength.
    if (input.secret !== undefined && estimatedSecretBits(input.secret) < MIN_SECRET_BITS) {
      throw new InvalidInputError('secret', 'is too easy to guess (repeated or sequential characters, or too small an alphabet): use a random one');
    }
    const stored: Client = { ...client, secretHash: secret === undefined ? null : this.hashers.clientSecret.hash(secret) };
    await this.store.insert(stored);
    this.scopes.invalidate();
    await this.audit.record({ type: 'client_created', actor, clientId: stored.id });
    return { client: stored, secret };
  }

  async findById(id: string): Promise<Client | undefined> {
    return withConsoleRedirect(await this.store.findById(id), this.issuer);
  }

  async list(page: PageRequest): Promise<Page<Client>> {
    const listed = await this.store.list(page);
    return { ...listed, items: listed.items.map((client) => withConsoleRedirect(client, this.issuer)) };
  }

  /**
   * Deletes a client and ends its families (reason client_deleted) in one transaction,
   * then records each ending through the one revoker. Returns how many sessions ended,
   * or undefined when there is no such client.
   */
  async delete(id: string, actor: string): Promise<number | undefined> {
    if (!CLIENT_ID.test(id)) return undefined;
    refuseConsoleClientChange(id);
    const now = this.clock.now();
    const { revoker } = this;
    const revoked = await this.store.delete(id, 'client_deleted', actor, new Date(now), revoker.relevantUntil(now), revoker.clientRelevantUntil(now));
    this.recent.delete(id);
    this.scopes.invalidate();
    if (revoked === undefined) return undefined;
    // Its tokens are inactive here at once, even those of no family (client_credentials).
    await this.revoker.caughtUp();
    await this.revoker.recorded(revoked, 'client_deleted', actor);
    await this.audit.record({ type: 'client_deleted', actor, clientId: id, details: { sessions_revoked: revoked.length } });
    return revoked.length;
  }

  /** Every scope some client is registered with (RFC 8414 scopes_supported), sorted. */
  registeredScopes(): Promise<readonly string[]> {
    return this.scopes.get();
  }

  /**
   * Changes a client's registration; what the change leaves out stays, and the result
   * must pass the same rules as a new client. Tokens already issued keep their scope; the
   * token endpoint checks the grant types on every request. Undefined when there is no
   * such client.
   */
  async update(id: string, change: ClientChange, actor: string): Promise<Client | undefined> {
    if (!CLIENT_ID.test(id)) return undefined;
    refuseConsoleClientChange(id);
    const updated = await this.store.update(id, (current) =>
      validSettings(
        {
          type: current.type,
          grantTypes: change.grantTypes ?? current.grantTypes,
          scopes: change.scopes ?? current.scopes,
          introspect: change.introspect ?? current.permissions.includes(INTROSPECT_PERMISSION),
          origins: change.origins ?? current.allowedOrigins,
          accessTokenFormat: change.accessTokenFormat ?? current.accessTokenFormat,
          audience: change.audience === undefined ? current.audience : change.audience,
          redirectUris: change.redirectUris ?? current.redirectUris,
          postLogoutRedirectUris: change.postLogoutRedirectUris ?? current.postLogoutRedirectUris,
          firstParty: change.firstParty ?? current.firstParty,
          requirePar: change.requirePar ?? current.requirePar,
          name: change.name === undefined ? current.name : change.name,
          requireDpop: change.requireDpop ?? current.requireDpop,
          requireMfa: change.requireMfa ?? current.requireMfa,
          backchannelLogoutUri: change.backchannelLogoutUri === undefined ? current.backchannelLogoutUri : change.backchannelLogoutUri,
          backchannelLogoutSessionRequired: change.backchannelLogoutSessionRequired ?? current.backchannelLogoutSessionRequired,
          otherPermissions: current.permissions,
        },
        this.redirectUriPolicy,
      ),
    );
    this.recent.delete(id);
    this.scopes.invalidate();
    if (updated === undefined) return undefined;
    const fields = Object.entries(CHANGE_NAMES).filter(([key]) => change[key as keyof ClientChange] !== undefined).map(([, name]) => name);
    await this.audit.record({ type: 'client_updated', actor, clientId: id, details: { fields: fields.join(',') } });
    return updated;
  }

  /**
   * A new generated secret; the replaced one keeps working for `graceSeconds` (0: not at
   * all), so that a client's deployments can move to the new one without an outage, while
   * a leaked secret can be killed at once. Undefined when there is no such client.
   */
  async rotateSecret(id: string, graceSeconds: number, actor: string): Promise<RotatedSecret | undefined> {
    if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_SECRET_GRACE_SECONDS) {
      throw new InvalidInputError('grace_seconds', `must be an integer from 0 to ${MAX_SECRET_GRACE_SECONDS}`);
    }
    const current = CLIENT_ID.test(id) ? await this.store.findById(id) : undefined;
    if (current === undefined) return undefined;
    refuseConsoleClientChange(id);
    if (current.type !== 'confidential') throw new InvalidInputError('client_id', 'names a public client, which has no secret');
    const secret = opaqueToken(this.random);
    const expiresAt = graceSeconds > 0 ? new Date(this.clock.now() + graceSeconds * 1000) : null;
    const client = await this.store.rotateSecret(id, this.hashers.clientSecret.hash(secret), expiresAt);
    this.recent.delete(id);
    if (client === undefined) return undefined;
    await this.audit.record({ type: 'client_secret_rotated', actor, clientId: id, details: { grace_seconds: graceSeconds } });
    return { client, secret };
  }

  /**
   * A client read at most REVOCATION_MAX_STALENESS_MS ago, so that the token,
   * introspection and revocation endpoints authenticate their caller without a database
   * round trip: a client changed or deleted elsewhere is honoured no longer than a
   * revocation is unknown, and a write that still references a deleted one fails its
   * foreign key (invalid_client, see referencingClient). Unknown ids are never cached.
   */
  findRecent(id: string): Promise<Client | undefined> {
    return this.recent.get(id, () => this.findById(id));
  }

  /**
   * Constant-time check of a presented secret against the stored keyed hash, and against
   * the hash a rotation replaced while its grace period lasts. A current secret that
   * matched is remembered with the client record it matched (a record from findRecent
   * lives at most REVOCATION_MAX_STALENESS_MS), so a resource server sending the same
   * Basic credentials on every introspection costs one constant-time comparison, not an
   * HMAC. A previous secret is never remembered: it must stop at its expiry.
   */
  secretMatches(client: Client, secret: string): boolean {
    if (client.secretHash === null) return false;
    const presented = Buffer.from(secret, 'utf8');
    const matched = this.matchedSecrets.get(client);
    if (matched !== undefined && matched.length === presented.length && timingSafeEqual(matched, presented)) return true;
    const hash = this.hashers.clientSecret.hash(secret);
    if (constantTimeEqual(hash, client.secretHash)) {
      this.matchedSecrets.set(client, presented);
      return true;
    }
    const previous = client.previousSecretHash;
    const until = client.previousSecretExpiresAt;
    return previous != null && until != null && this.clock.now() < until.getTime() && constantTimeEqual(hash, previous);
  }
}
