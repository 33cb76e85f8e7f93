import { type DynamicModule, Module } from '@nestjs/common';
import { TesseraModule, type TesseraModuleOptions } from '@tessera/resource-server/nestjs';
import { OrdersController } from './orders.controller.js';

@Module({})
export class AppModule {
  static with(tessera: TesseraModuleOptions): DynamicModule {
    return { module: AppModule, imports: [TesseraModule.forRoot(tessera)], controllers: [OrdersController] };
  }
}
