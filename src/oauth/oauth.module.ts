import { SecondFactorModule } from '../second-factor/second-factor.module.js';
import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { ClientsModule } from '../clients/clients.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { ThrottleModule } from '../throttle/throttle.module.js';
import { UsersModule } from '../users/users.module.js';
import { AuthorizationCodesService } from './authorization/authorization-codes.service.js';
import { AuthorizationPipeline } from './authorization/authorization-pipeline.js';
import { ParController } from './authorization/par.controller.js';
import { PushedRequestsService } from './authorization/pushed-requests.service.js';
import { ClientAuthService } from './client-auth/client-auth.service.js';
import { DiscoveryController } from './discovery/discovery.controller.js';
import { ServerMetadataService } from './discovery/server-metadata.service.js';
import { JwksController } from './keys/jwks.controller.js';
import { IdTokenSigner } from './oidc/id-token.js';
import { IdTokenIssuer } from './oidc/id-token.issuer.js';
import { IdTokenHintVerifier } from './oidc/id-token-hint.verifier.js';
import { KeysIdTokenSigner } from './oidc/keys-id-token.signer.js';
import { KeysService } from './keys/keys.service.js';
import { AccessTokenIssuer } from './token/access-token.issuer.js';
import { GRANT_HANDLERS } from './token/grant-handler.js';
import { AuthorizationCodeGrant } from './token/grants/authorization-code.grant.js';
import { ClientCredentialsGrant } from './token/grants/client-credentials.grant.js';
import { PasswordGrant } from './token/grants/password.grant.js';
import { RefreshTokenGrant } from './token/grants/refresh-token.grant.js';
import { TokenController } from './token/token.controller.js';
import { TokenService } from './token/token.service.js';
import { DpopModule } from './dpop/dpop.module.js';

const GRANTS = [PasswordGrant, RefreshTokenGrant, ClientCredentialsGrant, AuthorizationCodeGrant];

@Module({
  imports: [AuditModule, ClientsModule, SessionsModule, ThrottleModule, UsersModule, DpopModule, SecondFactorModule],
  controllers: [TokenController, JwksController, DiscoveryController, ParController],
  providers: [
    ClientAuthService,
    AuthorizationCodesService,
    AuthorizationPipeline,
    PushedRequestsService,
    ServerMetadataService,
    KeysService,
    AccessTokenIssuer,
    IdTokenIssuer,
    IdTokenHintVerifier,
    { provide: IdTokenSigner, useClass: KeysIdTokenSigner },
    TokenService,
    ...GRANTS,
    { provide: GRANT_HANDLERS, useFactory: (...handlers: unknown[]) => handlers, inject: GRANTS },
  ],
  exports: [IdTokenHintVerifier, ServerMetadataService, KeysService, ClientAuthService, AccessTokenIssuer, AuthorizationCodesService, AuthorizationPipeline, PushedRequestsService],
})
export class OAuthModule {}
