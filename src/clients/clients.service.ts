import { Inject, Injectable, Logger } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
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
import { parseScope } from '../oauth/scope.js';
import { SessionRevoker } from '../sessions/session-revoker.service.js';
import {
  type AccessTokenFormat,
  type Client,
  ClientStore,
  type ClientType,
  GRANT_TYPES,
  type GrantType,
  INTROSPECT_PERMISSION,
} from './client.js';
import { RegisteredScopes } from './registered-scopes.js';

export interface NewClient {
  readonly id: string;
  readonly type: ClientType;
  readonly grantTypes: readonly string[];
  readonly scopes?: readonly string[];
  readonly introspect?: boolean;
  readonly origins?: readonly string[];
  readonly accessTokenFormat?: AccessTokenFormat;
  readonly audience?: string;
  /** set the secret instead of generating one (confidential clients only) */
  readonly secret?: string;
}

export interface CreatedClient {
  readonly client: Client;
  /** shown once, never stored */
  readonly secret: string | undefined;
}

// RFC 6749 Appendix A.1 allows any VSCHAR; Tessera keeps ids safe in URLs, logs and headers.
const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;
const MIN_SECRET_LENGTH = 32;
/** A client registered by another process shows in the metadata within this (clients cache it 300 s anyway). */
const SCOPES_MAX_AGE_MS = 30_000;

@Injectable()
export class ClientsService {
  private readonly recent: RecentCache<string, Client>;
  private readonly matchedSecrets = new WeakMap<Client, Buffer>();
  private readonly scopes: RegisteredScopes;
  private readonly logger = new Logger('clients');

  constructor(
    private readonly store: ClientStore,
    private readonly hashers: TokenHashers,
    private readonly audit: AuditService,
    private readonly revoker: SessionRevoker,
    @Inject(CONFIG) config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: Random,
  ) {
    this.recent = new RecentCache(config.introspectionCacheSize, config.revocationMaxStalenessMs, clock);
    this.scopes = new RegisteredScopes(() => store.registeredScopes(), SCOPES_MAX_AGE_MS, clock, (error) =>
      this.logger.warn(`cannot read the registered scopes, the metadata keeps the last known: ${oneLineError(error)}`),
    );
  }

  async create(input: NewClient, actor: string): Promise<CreatedClient> {
    const client = this.validate(input);
    const secret = client.type === 'confidential' ? (input.secret ?? opaqueToken(this.random)) : undefined;
    if (input.secret !== undefined && client.type === 'public') throw new InvalidInputError('secret', 'public clients have no secret');
    if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
      throw new InvalidInputError('secret', `must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    const stored: Client = { ...client, secretHash: secret === undefined ? null : this.hashers.clientSecret.hash(secret) };
    await this.store.insert(stored);
    this.scopes.invalidate();
    await this.audit.record({ type: 'client_created', actor, clientId: stored.id });
    return { client: stored, secret };
  }

  findById(id: string): Promise<Client | undefined> {
    return this.store.findById(id);
  }

  list(page: PageRequest): Promise<Page<Client>> {
    return this.store.list(page);
  }

  /**
   * Deletes a client and ends its families (reason client_deleted) in one transaction,
   * then records each ending through the one revoker. Returns how many sessions ended,
   * or undefined when there is no such client.
   */
  async delete(id: string, actor: string): Promise<number | undefined> {
    if (!CLIENT_ID.test(id)) return undefined;
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
   * A client read at most REVOCATION_MAX_STALENESS_MS ago, so that the token,
   * introspection and revocation endpoints authenticate their caller without a database
   * round trip: a client changed or deleted elsewhere is honoured no longer than a
   * revocation is unknown, and a write that still references a deleted one fails its
   * foreign key (invalid_client, see referencingClient). Unknown ids are never cached.
   */
  findRecent(id: string): Promise<Client | undefined> {
    return this.recent.get(id, () => this.store.findById(id));
  }

  /**
   * Constant-time check of a presented secret against the stored keyed hash. A secret
   * that matched is remembered with the client record it matched (a record from
   * findRecent lives at most REVOCATION_MAX_STALENESS_MS), so a resource server sending
   * the same Basic credentials on every introspection costs one constant-time
   * comparison, not an HMAC.
   */
  secretMatches(client: Client, secret: string): boolean {
    if (client.secretHash === null) return false;
    const presented = Buffer.from(secret, 'utf8');
    const matched = this.matchedSecrets.get(client);
    if (matched !== undefined && matched.length === presented.length && timingSafeEqual(matched, presented)) return true;
    if (!this.hashers.clientSecret.matches(secret, client.secretHash)) return false;
    this.matchedSecrets.set(client, presented);
    return true;
  }

  private validate(input: NewClient): Omit<Client, 'secretHash'> {
    if (!CLIENT_ID.test(input.id)) {
      throw new InvalidInputError('client_id', 'must be 1-128 characters of A-Z a-z 0-9 . _ ~ -, starting with a letter or digit');
    }
    if (input.type !== 'confidential' && input.type !== 'public') throw new InvalidInputError('type', 'must be confidential or public');
    const grantTypes = unique(input.grantTypes);
    if (grantTypes.length === 0) throw new InvalidInputError('grants', 'must name at least one grant type');
    for (const grant of grantTypes) {
      if (!(GRANT_TYPES as readonly string[]).includes(grant)) {
        throw new InvalidInputError('grants', `unknown grant type ${JSON.stringify(grant)} (expected ${GRANT_TYPES.join(', ')})`);
      }
    }
    // RFC 6749 §4.4: client_credentials is for confidential clients only.
    if (input.type === 'public' && grantTypes.includes('client_credentials')) {
      throw new InvalidInputError('grants', 'client_credentials needs a confidential client');
    }
    if (input.introspect && input.type === 'public') throw new InvalidInputError('introspect', 'needs a confidential client');
    const format = input.accessTokenFormat ?? 'jwt';
    if (format !== 'jwt' && format !== 'opaque') throw new InvalidInputError('access_token_format', 'must be jwt or opaque');
    const scopes = parseScope((input.scopes ?? []).join(' '));
    if (scopes === null) throw new InvalidInputError('scopes', 'must be space-separated RFC 6749 §3.3 scope tokens');
    const audience = input.audience?.trim();
    if (audience !== undefined && audience === '') throw new InvalidInputError('audience', 'may not be empty');
    return {
      id: input.id,
      type: input.type,
      grantTypes: grantTypes as GrantType[],
      scopes,
      permissions: input.introspect ? [INTROSPECT_PERMISSION] : [],
      allowedOrigins: unique((input.origins ?? []).map(validOrigin)),
      accessTokenFormat: format,
      audience: audience ?? null,
      createdAt: new Date(this.clock.now()),
    };
  }
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function validOrigin(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidInputError('origins', `${JSON.stringify(raw)} is not an origin`);
  }
  // An origin is scheme://host[:port] and nothing else (RFC 6454).
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== raw.replace(/\/$/, '')) {
    throw new InvalidInputError('origins', `${JSON.stringify(raw)} is not an http(s) origin without a path`);
  }
  return url.origin;
}
