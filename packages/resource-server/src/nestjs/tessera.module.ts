import { type DynamicModule, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { ResourceServerOptions } from '../options.js';
import { ResourceServer } from '../resource-server.js';
import { RevocationFeed } from '../revocation-feed.js';
import { RevocationView } from '../revocation-view.js';
import { TesseraGuard } from './tessera.guard.js';

export interface TesseraModuleOptions extends ResourceServerOptions {
  /**
   * Guard every route of the application (opt out with @Public()): the default, so a
   * route someone forgot to annotate is closed. false: use @UseGuards(TesseraGuard).
   */
  readonly globalGuard?: boolean;
  /**
   * Learn of revocations from Tessera's Shared Signals stream, with the introspection
   * client (which then needs scope ssf): a RevocationFeed runs while the application does.
   */
  readonly revocationFeed?: boolean | { readonly streamDescription?: string };
}

/** Runs the feed with the application's lifecycle. */
class FeedLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(readonly feed: RevocationFeed | undefined) {}

  onApplicationBootstrap(): void {
    this.feed?.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.feed?.stop();
  }
}

@Module({})
export class TesseraModule {
  static forRoot(options: TesseraModuleOptions): DynamicModule {
    const { globalGuard = true, revocationFeed, ...settings } = options;
    const feed = revocationFeed ? feedFor(settings, revocationFeed === true ? {} : revocationFeed) : undefined;
    const server = new ResourceServer(feed ? { ...settings, revocations: feed.view } : settings);
    return {
      module: TesseraModule,
      global: true,
      providers: [
        { provide: ResourceServer, useValue: server },
        { provide: FeedLifecycle, useValue: new FeedLifecycle(feed?.feed) },
        TesseraGuard,
        ...(globalGuard ? [{ provide: APP_GUARD, useClass: TesseraGuard }] : []),
      ],
      exports: [ResourceServer, TesseraGuard],
    };
  }
}

function feedFor(settings: ResourceServerOptions, feed: { streamDescription?: string }): { feed: RevocationFeed; view: RevocationView } {
  if (!settings.introspection) throw new TypeError('revocationFeed needs the introspection client settings');
  if (settings.revocations) throw new TypeError('revocationFeed makes its own revocation view: give one or the other');
  const view = new RevocationView();
  const { clientId, clientSecret } = settings.introspection;
  return { view, feed: new RevocationFeed({ issuer: settings.issuer, clientId, clientSecret, view, streamDescription: feed.streamDescription }) };
}
