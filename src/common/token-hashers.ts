import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { KeyedHasher } from './crypto.js';

/** The keyed hashes under TOKEN_HASH_SECRET, one derived key per purpose. */
@Injectable()
export class TokenHashers {
  readonly refreshToken: KeyedHasher;
  readonly clientSecret: KeyedHasher;
  /** opaque access tokens (CONTRACT "Access tokens"): stored only as this hash */
  readonly opaqueAccessToken: KeyedHasher;

  constructor(@Inject(CONFIG) config: ResolvedConfig) {
    this.refreshToken = new KeyedHasher(config.tokenHashSecret, 'refresh-token');
    this.clientSecret = new KeyedHasher(config.tokenHashSecret, 'client-secret');
    this.opaqueAccessToken = new KeyedHasher(config.tokenHashSecret, 'opaque-access-token');
  }
}
