/** One logout token owed to a relying party (a row of the back-channel logout outbox). */
export interface BackchannelDelivery {
  readonly id: string;
  /** fixed when the row was written: every attempt sends the same one (Back-Channel Logout 1.0 §2.4) */
  readonly jti: string;
  readonly clientId: string;
  /** the client's backchannel_logout_uri (as it was when the session ended, for a deleted client): the only URL ever requested */
  readonly endpoint: string;
  /** false when the client has since removed its backchannel_logout_uri: nothing is sent */
  readonly registered: boolean;
  readonly subject: string;
  readonly sid: string;
  /** this attempt's number, from 1 */
  readonly attempts: number;
  /** after this, no further attempt: the delivery is given up */
  readonly giveUpAt: Date;
}

/** Owned by backchannel/; implemented in persistence/. The rows are written by the family revocation. */
export abstract class BackchannelLogoutStore {
  /**
   * Claims up to `limit` due deliveries for this process, at most `perEndpoint` per endpoint
   * counting `busy` (the attempts this process has under way, by endpoint): each claimed
   * row is due again only at `leaseUntil`, so another process takes it over only when this
   * one died. Rows another process is claiming are skipped, never waited for.
   */
  abstract claim(now: Date, leaseUntil: Date, limit: number, perEndpoint: number, busy: ReadonlyMap<string, number>): Promise<BackchannelDelivery[]>;
  abstract delivered(id: string, now: Date): Promise<void>;
  abstract retryAt(id: string, at: Date, error: string): Promise<void>;
  /** False when the row was settled meanwhile. */
  abstract giveUp(id: string, now: Date, error: string): Promise<boolean>;
  /** Deliveries neither made nor given up. */
  abstract depth(): Promise<number>;
}
