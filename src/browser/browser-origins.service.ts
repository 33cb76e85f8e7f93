import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { LruCache } from '../common/lru-cache.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { BrowserOriginStore, isBrowserClient } from './browser-client.js';

// Distinct origins remembered; a flood of made-up Origin headers only evicts.
const CACHE_SIZE = 1_000;

/**
 * Which origins CORS opens the /auth endpoints to: those registered for a browser
 * client. Each answer is kept as long as a client record may be (REVOCATION_MAX_STALENESS_MS),
 * so a preflight and its request cost one lookup between them.
 */
@Injectable()
export class BrowserOrigins {
  private readonly known = new LruCache<string, { readonly allowed: boolean; readonly at: number }>(CACHE_SIZE);

  constructor(
    private readonly store: BrowserOriginStore,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async isBrowserOrigin(origin: string): Promise<boolean> {
    const now = this.clock.now();
    const hit = this.known.get(origin);
    if (hit && now >= hit.at && now - hit.at <= this.config.revocationMaxStalenessMs) return hit.allowed;
    const allowed = (await this.store.clientsWithOrigin(origin)).some(isBrowserClient);
    this.known.set(origin, { allowed, at: now });
    return allowed;
  }
}
