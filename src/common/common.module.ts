import { type DynamicModule, Global, Module } from '@nestjs/common';
import { CLOCK, type Clock, systemClock } from './clock.js';
import { DatabaseClock } from './database-clock.js';
import { cryptoRandom, RANDOM, type Random } from './random.js';
import { TokenHashers } from './token-hashers.js';

@Global()
@Module({})
export class CommonModule {
  static forRoot(clock: Clock = systemClock, random: Random = cryptoRandom): DynamicModule {
    // A clock that follows the database's is also known by its class: readiness and the
    // periodic measurement ask it how far off the process's own clock is.
    const corrected = clock instanceof DatabaseClock ? [{ provide: DatabaseClock, useValue: clock }] : [];
    const providers = [{ provide: CLOCK, useValue: clock }, ...corrected, { provide: RANDOM, useValue: random }, TokenHashers];
    return { module: CommonModule, providers, exports: [CLOCK, RANDOM, TokenHashers, ...corrected.map(({ provide }) => provide)] };
  }
}
