import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import { AccountModule } from './account/account.module.js';
import { AccountPageModule } from './account-page/account-page.module.js';
import { AdminModule } from './admin/admin.module.js';
import { type Clock, systemClock } from './common/clock.js';
import { DatabaseClock } from './common/database-clock.js';
import { BackchannelModule } from './backchannel/backchannel.module.js';
import { BrowserModule } from './browser/browser.module.js';
import { CommonModule } from './common/common.module.js';
import { ConsoleModule } from './console/console.module.js';
import type { Random } from './common/random.js';
import type { ResolvedConfig } from './config/config.js';
import { ConfigModule } from './config/config.module.js';
import { HealthModule } from './health/health.module.js';
import { InteractionModule } from './interaction/interaction.module.js';
import { JanitorModule } from './janitor/janitor.module.js';
import { ExceptionRenderer } from './http/exception.filter.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { IntrospectionModule } from './oauth/introspection/introspection.module.js';
import { OAuthModule } from './oauth/oauth.module.js';
import { OidcModule } from './oauth/oidc/oidc.module.js';
import { RevocationModule } from './oauth/revocation/revocation.module.js';
import { databaseTime } from './persistence/database-time.js';
import { PersistenceModule } from './persistence/persistence.module.js';
import { SsfModule } from './ssf/ssf.module.js';

export interface AppDependencies {
  readonly config: ResolvedConfig;
  /** connected and migrated */
  readonly dataSource: DataSource;
  /** the process's clock; default: the system's */
  readonly clock?: Clock;
  /**
   * follow the database's clock (DatabaseClock), measuring `clock` against it; default:
   * when no clock is given. Tests that move an injected clock leave it off.
   */
  readonly databaseClock?: boolean;
  readonly random?: Random;
}

/** The clock the application runs on: the database's, unless `deps` say otherwise (measured once here). */
export async function appClock(deps: AppDependencies): Promise<Clock> {
  const own = deps.clock ?? systemClock;
  if (!(deps.databaseClock ?? deps.clock === undefined)) return own;
  return DatabaseClock.start(own, () => databaseTime(deps.dataSource));
}

@Module({})
export class AppModule {
  static forRoot({ config, dataSource, clock, random }: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        CommonModule.forRoot(clock, random),
        PersistenceModule.forRoot(dataSource),
        MetricsModule,
        OAuthModule,
        OidcModule,
        IntrospectionModule,
        RevocationModule,
        BrowserModule,
        InteractionModule,
        AdminModule,
        AccountModule,
        AccountPageModule,
        ConsoleModule,
        SsfModule,
        BackchannelModule,
        HealthModule,
        JanitorModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ExceptionRenderer }],
    };
  }
}
