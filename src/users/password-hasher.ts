import { Algorithm } from '@node-rs/argon2';
import type { OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Argon2Thread } from './argon2-thread.js';

export { MAX_PASSWORD_BYTES } from './user-rules.js';

// OWASP's argon2id baseline (m=19 MiB, t=2, p=1), on its own low-priority thread.
const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export class PasswordHasher implements OnApplicationShutdown {
  private dummy: Promise<string> | undefined;
  private readonly thread = new Argon2Thread();

  hash(password: string): Promise<string> {
    return this.thread.hash(password, OPTIONS);
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await this.thread.verify(passwordHash, password);
    } catch {
      return false;
    }
  }

  /**
   * Spends the same argon2id work as a real verification, against a hash of a random
   * password, so an unknown or disabled user costs what a wrong password costs.
   */
  async verifyDummy(password: string): Promise<false> {
    this.dummy ??= this.hash(randomBytes(16).toString('base64url'));
    await this.verify(await this.dummy, password);
    return false;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.thread.close();
  }
}
