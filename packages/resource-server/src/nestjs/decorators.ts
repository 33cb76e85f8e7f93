import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Principal as VerifiedPrincipal } from '../principal.js';

export const SCOPES_KEY = 'tessera:scopes';
export const PUBLIC_KEY = 'tessera:public';

/** The scopes a route (or every route of a controller) needs; a route's own list wins. */
export const Scopes = (...scopes: string[]) => SetMetadata(SCOPES_KEY, scopes);

/** A route the guard lets through without a token. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** The verified token's Principal, as a handler parameter. */
export const Principal = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<{ principal?: VerifiedPrincipal }>().principal,
);
export type Principal = VerifiedPrincipal;
