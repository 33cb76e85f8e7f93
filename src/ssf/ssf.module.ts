import { Module } from '@nestjs/common';
import { AuthGuardModule } from '../auth-guard/auth-guard.module.js';
import { ClientsModule } from '../clients/clients.module.js';
import { OAuthModule } from '../oauth/oauth.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { SecurityEventSigner } from './security-event.signer.js';
import { SsfPollService } from './ssf-poll.service.js';
import { SsfPushSender } from './ssf-push.sender.js';
import { SsfReceiverGuard } from './ssf-receiver.guard.js';
import { SsfStreamsService } from './ssf-streams.service.js';
import { SsfConfigurationController, SsfController } from './ssf.controller.js';

/** Tessera as a Shared Signals transmitter of its revocations (CONTRACT "Revocation signals"). */
@Module({
  imports: [AuthGuardModule, ClientsModule, OAuthModule, SessionsModule],
  controllers: [SsfConfigurationController, SsfController],
  providers: [SecurityEventSigner, SsfStreamsService, SsfPollService, SsfPushSender, SsfReceiverGuard],
})
export class SsfModule {}
