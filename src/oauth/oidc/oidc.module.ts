import { Module } from '@nestjs/common';
import { AuthGuardModule } from '../../auth-guard/auth-guard.module.js';
import { OAuthModule } from '../oauth.module.js';
import { OpenIdConfigurationController } from './openid-configuration.controller.js';
import { UserinfoController } from './userinfo.controller.js';
import { UserinfoService } from './userinfo.service.js';

/** OpenID Connect on top of the code flow: discovery (Discovery 1.0 §4) and userinfo (Core 1.0 §5.3). */
@Module({
  imports: [AuthGuardModule, OAuthModule],
  controllers: [OpenIdConfigurationController, UserinfoController],
  providers: [UserinfoService],
})
export class OidcModule {}
