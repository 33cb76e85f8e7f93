export { Principal, Public, PUBLIC_KEY, Scopes, SCOPES_KEY } from './decorators.js';
export { TesseraGuard } from './tessera.guard.js';
export { TesseraModule, type TesseraModuleOptions } from './tessera.module.js';
