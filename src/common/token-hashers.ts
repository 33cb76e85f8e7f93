import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { KeyedHasher } from './crypto.js';

/** The keyed hashes under TOKEN_HASH_SECRET, one derived key per purpose. */
@Injectable()
export class TokenHashers {
  readonly refreshToken: KeyedHasher;
  readonly clientSecret: KeyedHasher;

  constructor(@Inject(CONFIG) config: ResolvedConfig) {
    this.refreshToken = new KeyedHasher(config.tokenHashSecret, 'refresh-token');
    this.clientSecret = new KeyedHasher(config.tokenHashSecret, 'client-secret');
  }
}
