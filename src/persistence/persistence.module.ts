import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AccountSessionStore } from '../account-page/account-session.store.js';
import { AuditStore } from '../audit/audit-event.js';
import { ConsoleSessionStore } from '../console/console-session.js';
import { AuthorizationCodeStore } from '../oauth/authorization/authorization-code.js';
import { ConsentStore } from '../interaction/consent.js';
import { LoginSessionStore } from '../interaction/login-session.js';
import { PushedRequestStore } from '../oauth/authorization/pushed-request.js';
import { FamilyAuthenticationStore } from '../oauth/oidc/id-token.js';
import { BrowserOriginStore } from '../browser/browser-client.js';
import { ClientStore } from '../clients/client.js';
import { JanitorStore } from '../janitor/cleanup.js';
import { AccessTokenStore } from '../oauth/access-token/access-token.js';
import { SigningKeyStore } from '../oauth/keys/signing-key.js';
import { LoginThrottleStore } from '../throttle/login-throttle.js';
import { FamilyStore } from '../sessions/family.js';
import { RevocationEventStore } from '../sessions/revocation-event.js';
import { SsfStreamStore } from '../ssf/ssf-stream.js';
import { BackchannelLogoutStore } from '../backchannel/backchannel-delivery.js';
import { UserStore } from '../users/user.js';
import { PgAccessTokenStore } from './stores/access-token.store.js';
import { PgAccountSessionStore } from './stores/account-session.store.js';
import { PgAuditStore } from './stores/audit.store.js';
import { PgAuthorizationCodeStore } from './stores/authorization-code.store.js';
import { PgConsentStore } from './stores/consent.store.js';
import { PgLoginSessionStore } from './stores/login-session.store.js';
import { PgPushedRequestStore } from './stores/pushed-request.store.js';
import { PgBrowserOriginStore } from './stores/browser-origin.store.js';
import { PgClientStore } from './stores/client.store.js';
import { PgFamilyStore } from './stores/family.store.js';
import { PgFamilyAuthenticationStore } from './stores/family-authentication.store.js';
import { PgLoginThrottleStore } from './stores/login-throttle.store.js';
import { PgJanitorStore } from './stores/janitor.store.js';
import { PgRevocationEventStore } from './stores/revocation-event.store.js';
import { PgSigningKeyStore } from './stores/signing-key.store.js';
import { PgSsfStreamStore } from './stores/ssf-stream.store.js';
import { PgBackchannelLogoutStore } from './stores/backchannel-logout.store.js';
import { PgUserStore } from './stores/user.store.js';
import { DpopProofStore } from '../oauth/dpop/dpop-proof-store.js';
import { PgDpopProofStore } from './stores/dpop-proof.store.js';
import { PgConsoleSessionStore } from './stores/console-session.store.js';
import { SecondFactorStore } from '../second-factor/second-factor.js';
import { PgSecondFactorStore } from './stores/second-factor.store.js';
import { PasskeyChallengeStore, PasskeyStore } from '../passkeys/passkey.js';
import { PgPasskeyChallengeStore, PgPasskeyStore } from './stores/passkey.store.js';

const STORES = [
  { provide: UserStore, useClass: PgUserStore },
  { provide: ClientStore, useClass: PgClientStore },
  { provide: FamilyStore, useClass: PgFamilyStore },
  { provide: SigningKeyStore, useClass: PgSigningKeyStore },
  { provide: AuditStore, useClass: PgAuditStore },
  { provide: RevocationEventStore, useClass: PgRevocationEventStore },
  { provide: AccessTokenStore, useClass: PgAccessTokenStore },
  { provide: BrowserOriginStore, useClass: PgBrowserOriginStore },
  { provide: LoginThrottleStore, useClass: PgLoginThrottleStore },
  { provide: JanitorStore, useClass: PgJanitorStore },
  { provide: AuthorizationCodeStore, useClass: PgAuthorizationCodeStore },
  { provide: LoginSessionStore, useClass: PgLoginSessionStore },
  { provide: ConsentStore, useClass: PgConsentStore },
  { provide: PushedRequestStore, useClass: PgPushedRequestStore },
  { provide: SsfStreamStore, useClass: PgSsfStreamStore },
  { provide: FamilyAuthenticationStore, useClass: PgFamilyAuthenticationStore },
  { provide: AccountSessionStore, useClass: PgAccountSessionStore },
  { provide: DpopProofStore, useClass: PgDpopProofStore },
  { provide: BackchannelLogoutStore, useClass: PgBackchannelLogoutStore },
  { provide: ConsoleSessionStore, useClass: PgConsoleSessionStore },
  { provide: SecondFactorStore, useClass: PgSecondFactorStore },
  { provide: PasskeyStore, useClass: PgPasskeyStore },
  { provide: PasskeyChallengeStore, useClass: PgPasskeyChallengeStore },
];

/**
 * The only module that knows TypeORM. It is handed a DataSource that the caller has
 * already connected and migrated, so a boot failure is reported before Nest starts.
 */
@Global()
@Module({})
export class PersistenceModule {
  static forRoot(dataSource: DataSource): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...dataSource.options, retryAttempts: 0 }),
          dataSourceFactory: async () => dataSource,
        }),
      ],
      providers: STORES,
      exports: STORES.map((store) => store.provide),
    };
  }
}
