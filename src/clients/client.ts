export const GRANT_TYPES = ['password', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];
export type ClientType = 'confidential' | 'public';
export type AccessTokenFormat = 'jwt' | 'opaque';
export const INTROSPECT_PERMISSION = 'introspect';

export interface Client {
  readonly id: string;
  readonly type: ClientType;
  /** HMAC-SHA-256 of the secret; null for public clients */
  readonly secretHash: Buffer | null;
  readonly grantTypes: readonly GrantType[];
  readonly scopes: readonly string[];
  readonly permissions: readonly string[];
  readonly allowedOrigins: readonly string[];
  readonly accessTokenFormat: AccessTokenFormat;
  readonly audience: string | null;
  readonly createdAt: Date;
}

export abstract class ClientStore {
  abstract findById(id: string): Promise<Client | undefined>;
  /** Throws DuplicateError when the client id is taken. */
  abstract insert(client: Client): Promise<void>;
}
