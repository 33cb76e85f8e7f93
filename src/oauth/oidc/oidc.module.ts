import { Module } from '@nestjs/common';
import { AuthGuardModule } from '../../auth-guard/auth-guard.module.js';
import { UserinfoController } from './userinfo.controller.js';
import { UserinfoService } from './userinfo.service.js';

/** OpenID Connect on top of the code flow: userinfo (Core 1.0 §5.3). */
@Module({
  imports: [AuthGuardModule],
  controllers: [UserinfoController],
  providers: [UserinfoService],
})
export class OidcModule {}
