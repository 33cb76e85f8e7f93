import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { RecentCache } from '../common/recent-cache.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { BrowserOriginStore, isBrowserClient, isPageTokenClient } from './browser-client.js';

// Distinct origins remembered; a flood of made-up Origin headers only evicts.
const CACHE_SIZE = 1_000;

/**
 * Which origins CORS opens the /auth endpoints to: those registered for a browser
 * client. Each answer is kept as long as a client record may be (REVOCATION_MAX_STALENESS_MS),
 * so a preflight and its request cost one lookup between them.
 */
@Injectable()
export class BrowserOrigins {
  private readonly known: RecentCache<string, boolean>;
  private readonly tokenCallers: RecentCache<string, boolean>;

  constructor(
    private readonly store: BrowserOriginStore,
    @Inject(CONFIG) config: ResolvedConfig,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.known = new RecentCache(CACHE_SIZE, config.revocationMaxStalenessMs, clock);
    this.tokenCallers = new RecentCache(CACHE_SIZE, config.revocationMaxStalenessMs, clock);
  }

  async isBrowserOrigin(origin: string): Promise<boolean> {
    // false is an answer too, and kept: a refused origin costs one lookup per window.
    return (await this.known.get(origin, async () => (await this.store.clientsWithOrigin(origin)).some(isBrowserClient))) ?? false;
  }

  /** Whether CORS opens the token endpoint to `origin`: registered for a public client. */
  async isTokenEndpointOrigin(origin: string): Promise<boolean> {
    return (await this.tokenCallers.get(origin, async () => (await this.store.clientsWithOrigin(origin)).some(isPageTokenClient))) ?? false;
  }
}
