import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { ResourceServerOptions } from '../options.js';
import { ResourceServer } from '../resource-server.js';
import { TesseraGuard } from './tessera.guard.js';

export interface TesseraModuleOptions extends ResourceServerOptions {
  /**
   * Guard every route of the application (opt out with @Public()): the default, so a
   * route someone forgot to annotate is closed. false: use @UseGuards(TesseraGuard).
   */
  readonly globalGuard?: boolean;
}

@Module({})
export class TesseraModule {
  static forRoot(options: TesseraModuleOptions): DynamicModule {
    const { globalGuard = true, ...settings } = options;
    return {
      module: TesseraModule,
      global: true,
      providers: [
        { provide: ResourceServer, useValue: new ResourceServer(settings) },
        TesseraGuard,
        ...(globalGuard ? [{ provide: APP_GUARD, useClass: TesseraGuard }] : []),
      ],
      exports: [ResourceServer, TesseraGuard],
    };
  }
}
