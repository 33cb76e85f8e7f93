/** Owned by oauth/authorization; implemented in persistence/. */
export abstract class PushedRequestStore {
  abstract insert(hash: Buffer, clientId: string, parameters: Readonly<Record<string, string>>, now: Date, expiresAt: Date): Promise<void>;
  /** The parameters pushed by this client under this hash, while unexpired and unused. */
  abstract find(hash: Buffer, clientId: string, now: Date): Promise<Record<string, string> | undefined>;
  /** Marks it used, once: false when it was used (or expired) meanwhile. */
  abstract use(hash: Buffer, now: Date): Promise<boolean>;
}
