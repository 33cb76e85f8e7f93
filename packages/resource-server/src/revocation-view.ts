/** What a revocation names: a login session, a user, a client, or one access token. */
export type RevocationKind = 'sid' | 'sub' | 'client_id' | 'jti';

export interface Revocation {
  readonly kind: RevocationKind;
  readonly value: string;
  /** when it happened, in seconds since the epoch: tokens issued at or before it are refused */
  readonly at: number;
}

/** The claims of a token that a revocation may name. */
export interface RevocableToken {
  readonly sid?: string;
  readonly sub?: string;
  readonly client_id?: string;
  readonly jti?: string;
  readonly iat?: number;
}

/**
 * What the verifier asks before it accepts a token. A feed (an SSF poll stream) keeps
 * one up to date and says, with freshAt, until when it is known to be complete.
 */
export interface RevocationSource {
  revokedBy(token: RevocableToken): Revocation | undefined;
  /** when the source last knew it had every revocation (ms since the epoch); undefined: never */
  freshAt(): number | undefined;
}

export interface RevocationViewOptions {
  /**
   * How long a token can live at most (seconds; Tessera's ACCESS_TOKEN_TTL plus clock
   * skew): a revocation older than that refuses nothing that can still be alive, and is
   * forgotten. Default 3600.
   */
  readonly retention?: number;
  readonly now?: () => number;
}

const KINDS: readonly RevocationKind[] = ['jti', 'sid', 'sub', 'client_id'];

/**
 * Revocations in memory, "since" semantics: a revocation of a session, user, client or
 * jti at time T refuses the tokens it names that were issued at or before T (a user
 * re-enabled after T gets tokens that work). One map per kind, value → latest T.
 */
export class RevocationView implements RevocationSource {
  private readonly entries = new Map<RevocationKind, Map<string, number>>(KINDS.map((kind) => [kind, new Map()]));
  private readonly retention: number;
  private readonly now: () => number;
  private fresh: number | undefined;

  constructor(options: RevocationViewOptions = {}) {
    this.retention = options.retention ?? 3600;
    this.now = options.now ?? Date.now;
  }

  /** Idempotent: the same event delivered twice, or out of order, leaves the latest T. */
  revoke(revocation: Revocation): void {
    const byValue = this.entries.get(revocation.kind);
    if (!byValue) throw new TypeError(`unknown revocation kind: ${String(revocation.kind)}`);
    if (!Number.isFinite(revocation.at)) throw new TypeError('a revocation needs a finite time');
    const known = byValue.get(revocation.value);
    if (known === undefined || known < revocation.at) byValue.set(revocation.value, revocation.at);
  }

  revokedBy(token: RevocableToken): Revocation | undefined {
    for (const kind of KINDS) {
      const value = token[kind];
      if (value === undefined) continue;
      const at = this.entries.get(kind)!.get(value);
      // A token without iat cannot show that it came after the revocation.
      if (at !== undefined && (token.iat === undefined || token.iat <= at)) return { kind, value, at };
    }
    return undefined;
  }

  /** The feed calls this after each poll that brought it up to date. */
  markFresh(at: number = this.now()): void {
    this.fresh = this.fresh === undefined ? at : Math.max(this.fresh, at);
  }

  /** The feed learned that it missed events: stale (refusing, or introspecting) until it has caught up again. */
  markStale(): void {
    this.fresh = undefined;
  }

  freshAt(): number | undefined {
    return this.fresh;
  }

  /** Forgets revocations that can no longer concern a live token; returns how many. */
  prune(): number {
    const horizon = this.now() / 1000 - this.retention;
    let dropped = 0;
    for (const byValue of this.entries.values()) {
      for (const [value, at] of byValue) {
        if (at < horizon) {
          byValue.delete(value);
          dropped++;
        }
      }
    }
    return dropped;
  }

  get size(): number {
    let total = 0;
    for (const byValue of this.entries.values()) total += byValue.size;
    return total;
  }
}
