import { Module } from '@nestjs/common';
import { DpopService } from './dpop.service.js';

/** DPoP proofs (RFC 9449), for the token endpoint and Tessera's own resources. */
@Module({ providers: [DpopService], exports: [DpopService] })
export class DpopModule {}
