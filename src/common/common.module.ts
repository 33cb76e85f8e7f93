import { type DynamicModule, Global, Module } from '@nestjs/common';
import { CLOCK, type Clock, systemClock } from './clock.js';
import { cryptoRandom, RANDOM, type Random } from './random.js';
import { TokenHashers } from './token-hashers.js';

@Global()
@Module({})
export class CommonModule {
  static forRoot(clock: Clock = systemClock, random: Random = cryptoRandom): DynamicModule {
    const providers = [{ provide: CLOCK, useValue: clock }, { provide: RANDOM, useValue: random }, TokenHashers];
    return { module: CommonModule, providers, exports: [CLOCK, RANDOM, TokenHashers] };
  }
}
