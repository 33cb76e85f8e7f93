import { Module } from '@nestjs/common';
import { ThrottleModule } from '../../throttle/throttle.module.js';
import { AccessTokenModule } from '../access-token/access-token.module.js';
import { OAuthModule } from '../oauth.module.js';
import { IntrospectionController } from './introspection.controller.js';
import { IntrospectionService } from './introspection.service.js';

@Module({
  imports: [OAuthModule, AccessTokenModule, ThrottleModule],
  controllers: [IntrospectionController],
  providers: [IntrospectionService],
})
export class IntrospectionModule {}
