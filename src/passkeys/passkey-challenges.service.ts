import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { KeyedHasher } from '../common/crypto.js';
import { RANDOM, type Random } from '../common/random.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { PasskeyChallengeStore } from './passkey.js';

/**
 * What a challenge is good for: registering a passkey in one login session, or signing in
 * from one browser's login form (named by its form CSRF cookie), or the second step of one
 * pending login (named by its second-factor cookie). A challenge issued for one
 * never verifies the other, nor another browser's.
 */
export type ChallengeBinding =
  | { readonly kind: 'registration'; readonly sessionId: string }
  | { readonly kind: 'authentication'; readonly formToken: string }
  /** a passkey as the second factor of the login waiting behind this second-factor cookie */
  | { readonly kind: 'second-factor'; readonly challengeToken: string };

/** Long enough for conditional UI, where the page waits for the user to pick a passkey from autofill. */
export const CHALLENGE_SECONDS = 600;

/**
 * WebAuthn challenges (§13.4.3: random, at least 16 bytes, used once): 32 random bytes,
 * stored only as a keyed hash with a keyed hash of their binding; presenting one deletes it.
 */
@Injectable()
export class PasskeyChallenges {
  private readonly hasher: KeyedHasher;

  constructor(
    private readonly store: PasskeyChallengeStore,
    @Inject(CONFIG) config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: Random,
  ) {
    this.hasher = new KeyedHasher(config.tokenHashSecret, 'webauthn-challenge');
  }

  /** A new challenge, base64url, as the options carry it. */
  async issue(binding: ChallengeBinding): Promise<string> {
    const challenge = this.random.bytes(32).toString('base64url');
    await this.store.insert(this.hasher.hash(challenge), this.bindingHash(binding), new Date(this.clock.now() + CHALLENGE_SECONDS * 1000));
    return challenge;
  }

  /** True exactly once for a live challenge issued to `binding`; false for a replay, another binding's, or an expired one. */
  consume(challenge: string, binding: ChallengeBinding): Promise<boolean> {
    return this.store.consume(this.hasher.hash(challenge), this.bindingHash(binding), new Date(this.clock.now()));
  }

  private bindingHash(binding: ChallengeBinding): Buffer {
    switch (binding.kind) {
      case 'registration':
        return this.hasher.hash(`registration:${binding.sessionId}`);
      case 'authentication':
        return this.hasher.hash(`authentication:${binding.formToken}`);
      case 'second-factor':
        return this.hasher.hash(`second-factor:${binding.challengeToken}`);
    }
  }
}
